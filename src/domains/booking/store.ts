/**
 * What the booking desk keeps: the resources with their opening hours, and each person's
 * reservations, over the kit's SQL client (which bounds every call and fails closed on its own).
 *
 * Booking is one transaction: the idempotency key is looked up, the reservation is inserted only if
 * the database itself finds the resource open for the whole time and big enough for the party, and
 * its quarter-hour slots are inserted with `ON CONFLICT DO NOTHING`. Fewer slots inserted than the
 * booking covers means another reservation holds one: the reservation is deleted again in the same
 * transaction and the caller is told the time was taken. No statement fails on purpose, so the
 * transaction never aborts on PostgreSQL and the outcome is the same on the embedded database.
 *
 * @module
 */
import type { SqlClient } from "../../pack/mod.ts";
import type { Span } from "./policy.ts";
import type { Resource, Venue } from "./venue.ts";

/** A reservation as the desk keeps it; times are instants in milliseconds. */
export interface Reservation {
  id: string;
  resourceId: string;
  resourceName: string;
  start: number;
  end: number;
  partySize: number;
  note: string | null;
  priceCents: number;
  status: "active" | "cancelled";
  createdAt: number;
  cancelledAt: number | null;
  feeCents: number | null;
  idempotencyKey: string;
}

/** What a booking asks for, already checked against the rules. */
export interface BookingRequest {
  resourceId: string;
  start: number;
  end: number;
  partySize: number;
  note: string | null;
  idempotencyKey: string;
  priceCents: number;
}

/** How a booking went. */
export type BookOutcome =
  | { outcome: "booked"; reservation: Reservation }
  /** The same key was used before for this very booking: that reservation, unchanged. */
  | { outcome: "replayed"; reservation: Reservation }
  /** The same key was used before for a different booking. */
  | { outcome: "key_reused"; reservation: Reservation }
  /** Another reservation holds part of the time. */
  | { outcome: "taken" }
  /** The database found the resource closed, too small, or the start past (rules changed under us). */
  | { outcome: "not_bookable" }
  /** The person already holds the most upcoming reservations one member may. */
  | { outcome: "limit"; limit: number };

/**
 * Upcoming reservations one member may hold at once. Without it one member could hold every
 * resource for the whole booking window, and a free book/cancel loop would grow the tables.
 */
export const MAX_UPCOMING_PER_MEMBER = 20;

/** How a cancellation went. */
export type CancelOutcome =
  | { outcome: "cancelled"; reservation: Reservation }
  | { outcome: "not_found" }
  | { outcome: "already_cancelled"; reservation: Reservation }
  | { outcome: "started"; reservation: Reservation };

/** One of the caller's reservations: by its id, or by the idempotency key it was booked with. */
export type ReservationRef = { id: string } | { idempotencyKey: string };

/** The booking desk's store. */
export interface BookingStore {
  /** The venue this desk books (its fixed content, from memory). */
  readonly venue: Venue;
  /** Every resource, by name. */
  listResources(): Promise<readonly Resource[]>;
  /** One resource, or `null`. */
  getResource(id: string): Promise<Resource | null>;
  /** Active reservations' spans per resource overlapping `[from, to)`. */
  takenSpans(
    resourceIds: readonly string[],
    from: number,
    to: number,
  ): Promise<Map<string, Span[]>>;
  /** Books, or says why not (see {@linkcode BookOutcome}). */
  book(sub: string, request: BookingRequest, timeZone: string): Promise<BookOutcome>;
  /**
   * Cancels the caller's reservation (by its id, or by the idempotency key it was booked with),
   * charging what `feeFor` says at the database's `now`; `feeFor` returns `null` once cancelling
   * is no longer allowed.
   */
  cancel(
    sub: string,
    which: ReservationRef,
    feeFor: (reservation: Reservation, now: number) => number | null,
  ): Promise<CancelOutcome>;
  /** One of the caller's reservations; another person's is `null`, exactly like a missing one. */
  getReservation(sub: string, id: string): Promise<Reservation | null>;
  /** The caller's reservations: upcoming (not yet ended) first by start, optionally past and cancelled ones too. */
  listReservations(
    sub: string,
    options: { includePast: boolean; includeCancelled: boolean; limit: number },
  ): Promise<Reservation[]>;
}

type ReservationRow = {
  id: string;
  resource_id: string;
  resource_name: string;
  start_ms: number;
  end_ms: number;
  party_size: number;
  note: string | null;
  price_cents: number;
  status: "active" | "cancelled";
  created_ms: number;
  cancelled_ms: number | null;
  fee_cents: number | null;
  idempotency_key: string;
};

/** The reservation columns, and `extra` ones. */
function reservationSelect(extra = "", from = "booking_reservations"): string {
  return `
  SELECT ${extra} v.id, v.resource_id, r.name AS resource_name,
         (extract(epoch FROM v.starts_at) * 1000)::float8 AS start_ms,
         (extract(epoch FROM v.ends_at) * 1000)::float8 AS end_ms,
         v.party_size, v.note, v.price_cents, v.status,
         (extract(epoch FROM v.created_at) * 1000)::float8 AS created_ms,
         (extract(epoch FROM v.cancelled_at) * 1000)::float8 AS cancelled_ms,
         v.fee_cents, v.idempotency_key
    FROM ${from} v JOIN booking_resources r ON r.id = v.resource_id`;
}

const RESERVATION_SELECT = reservationSelect();

function reservationFrom(row: ReservationRow): Reservation {
  return {
    id: row.id,
    resourceId: row.resource_id,
    resourceName: row.resource_name,
    start: Number(row.start_ms),
    end: Number(row.end_ms),
    partySize: row.party_size,
    note: row.note,
    priceCents: row.price_cents,
    status: row.status,
    createdAt: Math.round(Number(row.created_ms)),
    cancelledAt: row.cancelled_ms === null ? null : Math.round(Number(row.cancelled_ms)),
    feeCents: row.fee_cents,
    idempotencyKey: row.idempotency_key,
  };
}

const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

/** `res_` and 12 random characters: unguessable, so an id says nothing about anyone else's. */
export function newReservationId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `res_${Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("")}`;
}

/** Whether `existing` is the booking `request` asks for (a retry), not a different one. */
function sameBooking(existing: Reservation, request: BookingRequest): boolean {
  return existing.resourceId === request.resourceId && existing.start === request.start &&
    existing.end === request.end && existing.partySize === request.partySize;
}

/** Builds the store over the database and the venue (fixed content: resources come from memory). */
export function createBookingStore(sql: SqlClient, venue: Venue): BookingStore {
  const byName = [...venue.resources].sort((
    a,
    b,
  ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byId = new Map(venue.resources.map((r) => [r.id, r]));
  const keyOutcome = (existing: Reservation, request: BookingRequest): BookOutcome =>
    sameBooking(existing, request)
      ? { outcome: "replayed", reservation: existing }
      : { outcome: "key_reused", reservation: existing };

  return {
    venue,

    listResources: () => Promise.resolve(byName),

    getResource: (id) => Promise.resolve(byId.get(id) ?? null),

    async takenSpans(resourceIds, from, to) {
      const rows = await sql.query<{ resource_id: string; start_ms: number; end_ms: number }>(
        `SELECT resource_id,
                (extract(epoch FROM starts_at) * 1000)::float8 AS start_ms,
                (extract(epoch FROM ends_at) * 1000)::float8 AS end_ms
           FROM booking_reservations
          WHERE status = 'active' AND resource_id = ANY($1::text[])
            AND starts_at < $3::timestamptz AND ends_at > $2::timestamptz
          ORDER BY resource_id, starts_at`,
        [resourceIds, new Date(from).toISOString(), new Date(to).toISOString()],
      );
      const spans = new Map<string, Span[]>();
      for (const row of rows) {
        const list = spans.get(row.resource_id) ?? [];
        list.push({ start: Number(row.start_ms), end: Number(row.end_ms) });
        spans.set(row.resource_id, list);
      }
      return spans;
    },

    book(sub, request, timeZone) {
      return sql.transaction(async (tx): Promise<BookOutcome> => {
        // The key, the person's lock, the count, the reservation and its slots: one call (the
        // pack's migration 2), in this transaction.
        const [{ outcome, reservation_id }] = await tx.query<
          { outcome: string; reservation_id: string | null }
        >(
          `SELECT outcome, reservation_id
             FROM booking_book($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8, $9, $10, $11, $12)`,
          [
            newReservationId(),
            sub,
            request.idempotencyKey,
            request.resourceId,
            new Date(request.start).toISOString(),
            new Date(request.end).toISOString(),
            request.partySize,
            request.note,
            request.priceCents,
            timeZone,
            (request.end - request.start) / (15 * 60_000),
            MAX_UPCOMING_PER_MEMBER,
          ],
        );
        switch (outcome) {
          case "limit":
            return { outcome: "limit", limit: MAX_UPCOMING_PER_MEMBER };
          case "not_bookable":
            return { outcome: "not_bookable" };
          case "taken":
            return { outcome: "taken" };
        }
        const rows = await tx.query<ReservationRow>(`${RESERVATION_SELECT} WHERE v.id = $1`, [
          reservation_id,
        ]);
        const reservation = reservationFrom(rows[0]);
        return outcome === "booked"
          ? { outcome: "booked", reservation }
          : keyOutcome(reservation, request);
      });
    },

    cancel(sub, which, feeFor) {
      return sql.transaction(async (tx): Promise<CancelOutcome> => {
        // The person's row first, as booking and forgetting take it: the history entry this
        // cancel records (in its own transaction) needs it too, and the other order deadlocks
        // against a forget deleting the reservation.
        await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [sub]);
        const [column, value] = "id" in which
          ? ["v.id", which.id]
          : ["v.idempotency_key", which.idempotencyKey];
        const rows = await tx.query<ReservationRow & { now_ms: number }>(
          `${
            reservationSelect("(extract(epoch FROM now()) * 1000)::float8 AS now_ms,")
          } WHERE ${column} = $1 AND v.user_id = $2
              FOR UPDATE OF v`,
          [value, sub],
        );
        if (rows.length === 0) return { outcome: "not_found" };
        const reservation = reservationFrom(rows[0]);
        if (reservation.status === "cancelled") {
          return { outcome: "already_cancelled", reservation };
        }
        const now = Number(rows[0].now_ms);
        // Never charge on a clock we could not read: fail closed instead.
        if (!Number.isFinite(now)) throw new Error("the database returned no current time");
        const fee = feeFor(reservation, now);
        if (fee === null) return { outcome: "started", reservation };
        // Cancelled, its slots freed and read back: one statement.
        const after = await tx.query<ReservationRow>(
          `WITH cancelled AS (
             UPDATE booking_reservations SET status = 'cancelled', cancelled_at = now(), fee_cents = $2
              WHERE id = $1
             RETURNING *
           ), freed AS (
             DELETE FROM booking_reservation_slots WHERE reservation_id = $1
           )
           ${reservationSelect("", "cancelled")}`,
          [reservation.id, fee],
        );
        return { outcome: "cancelled", reservation: reservationFrom(after[0]) };
      });
    },

    async getReservation(sub, id) {
      const rows = await sql.query<ReservationRow>(
        `${RESERVATION_SELECT} WHERE v.id = $1 AND v.user_id = $2`,
        [id, sub],
      );
      return rows.length === 0 ? null : reservationFrom(rows[0]);
    },

    async listReservations(sub, { includePast, includeCancelled, limit }) {
      const rows = await sql.query<ReservationRow>(
        `${RESERVATION_SELECT}
          WHERE v.user_id = $1
            AND ($2::boolean OR v.ends_at > now())
            AND ($3::boolean OR v.status = 'active')
          ORDER BY (v.ends_at <= now()), CASE WHEN v.ends_at > now() THEN v.starts_at END,
                   v.starts_at DESC
          LIMIT $4`,
        [sub, includePast, includeCancelled, limit],
      );
      return rows.map(reservationFrom);
    },
  };
}
