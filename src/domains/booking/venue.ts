/**
 * The venue's content: `seed/booking/venue.json` (name, time zone, currency, the bookable resources
 * with capacity, amenities, weekly opening hours and hourly price), validated when the pack loads.
 * It is the pack's fixed content: resources are read from memory, and the pack's tables hold a copy
 * (written when the venue changes) that bookings reference and their checks join against.
 *
 * @module
 */
import { z } from "zod";
import type { FixedContent, SqlTransaction } from "../../pack/mod.ts";
import { isKnownZone, minutesOf, type Weekday, WEEKDAYS } from "./time.ts";

const HHMM = z.string().regex(/^([01][0-9]|2[0-3]):(00|15|30|45)$/, "HH:MM on a quarter hour");

const HoursSchema = z.tuple([HHMM, HHMM]).nullable().refine(
  (h) => h === null || minutesOf(h[0]) < minutesOf(h[1]),
  "opens before it closes",
);

const ResourceSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  name: z.string().min(1).max(80),
  kind: z.string().regex(/^[a-z_]+$/),
  capacity: z.number().int().min(1).max(10_000),
  hourlyPriceCents: z.number().int().min(0).max(1_000_000),
  description: z.string().min(1).max(600),
  amenities: z.array(z.string().min(1).max(80)).max(20),
  hours: z.object(
    Object.fromEntries(WEEKDAYS.map((d) => [d, HoursSchema])) as Record<
      Weekday,
      typeof HoursSchema
    >,
  ).strict(),
}).strict();

const VenueSchema = z.object({
  name: z.string().min(1).max(120),
  address: z.string().max(200),
  timeZone: z.string().refine(isKnownZone, "an IANA time zone such as Europe/Amsterdam"),
  currency: z.string().regex(/^[A-Z]{3}$/),
  resources: z.array(ResourceSchema).min(1).max(200),
}).strict();

/** A bookable resource. */
export type Resource = z.infer<typeof ResourceSchema>;

/** The venue: where it is on the clock and what can be booked. */
export type Venue = z.infer<typeof VenueSchema>;

/** Parses the seed file's content; throws naming the first problem. */
export function parseVenue(json: unknown): Venue {
  const parsed = VenueSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`seed/booking/venue.json: ${issue.path.join(".")}: ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const r of parsed.data.resources) {
    if (ids.has(r.id)) throw new Error(`seed/booking/venue.json: duplicate resource ${r.id}`);
    ids.add(r.id);
  }
  return parsed.data;
}

/** Where the shipped venue is. */
export const VENUE_FILE = new URL("../../../seed/booking/venue.json", import.meta.url);

/** Reads and checks the venue at `file` (the shipped one by default). */
export async function readVenue(file: URL = VENUE_FILE): Promise<Venue> {
  return parseVenue(JSON.parse(await Deno.readTextFile(file)));
}

/**
 * Writes the resources and their opening hours (one row per open weekday) inside `tx`; unchanged
 * rows are not rewritten. Resources no longer in the seed are kept (reservations point
 * at them) but lose their opening hours, so nothing new can be booked there.
 */
export async function writeVenue(
  tx: Pick<SqlTransaction, "query">,
  venue: Venue,
): Promise<void> {
  const resources = venue.resources.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    capacity: r.capacity,
    hourly_price_cents: r.hourlyPriceCents,
    description: r.description,
    amenities: r.amenities,
  }));
  const hours = venue.resources.flatMap((r) =>
    WEEKDAYS.flatMap((day, i) => {
      const h = r.hours[day];
      return h ? [{ resource_id: r.id, isodow: i + 1, opens: h[0], closes: h[1] }] : [];
    })
  );
  await tx.query(
    `INSERT INTO booking_resources AS t (id, name, kind, capacity, hourly_price_cents, description, amenities)
       SELECT r.id, r.name, r.kind, r.capacity, r.hourly_price_cents, r.description, r.amenities
         FROM jsonb_to_recordset($1::jsonb)
           AS r(id text, name text, kind text, capacity int, hourly_price_cents int, description text, amenities text[])
       ON CONFLICT (id) DO UPDATE SET
         name = excluded.name, kind = excluded.kind, capacity = excluded.capacity,
         hourly_price_cents = excluded.hourly_price_cents, description = excluded.description,
         amenities = excluded.amenities
       WHERE (t.name, t.kind, t.capacity, t.hourly_price_cents, t.description, t.amenities)
         IS DISTINCT FROM (excluded.name, excluded.kind, excluded.capacity,
                           excluded.hourly_price_cents, excluded.description, excluded.amenities)`,
    [JSON.stringify(resources)],
  );
  await tx.query(
    `DELETE FROM booking_opening_hours h
        WHERE NOT EXISTS (
          SELECT 1 FROM jsonb_to_recordset($1::jsonb) AS n(resource_id text, isodow int)
           WHERE n.resource_id = h.resource_id AND n.isodow = h.isodow)`,
    [JSON.stringify(hours)],
  );
  await tx.query(
    `INSERT INTO booking_opening_hours AS t (resource_id, isodow, opens, closes)
       SELECT n.resource_id, n.isodow, n.opens::time, n.closes::time
         FROM jsonb_to_recordset($1::jsonb) AS n(resource_id text, isodow int, opens text, closes text)
       ON CONFLICT (resource_id, isodow) DO UPDATE SET opens = excluded.opens, closes = excluded.closes
       WHERE (t.opens, t.closes) IS DISTINCT FROM (excluded.opens, excluded.closes)`,
    [JSON.stringify(hours)],
  );
}

/**
 * The venue as the pack's fixed content: read once at start-up, it reaches the store (and through
 * it the tools and views) from there, and nowhere else.
 */
export const VENUE_CONTENT: FixedContent<Venue> = {
  load: () => readVenue(),
  seed: (tx, venue) => writeVenue(tx, venue),
};
