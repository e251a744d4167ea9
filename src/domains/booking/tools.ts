/**
 * The booking desk's `domain_*` tools: find free times, look at a resource or a reservation, book
 * and cancel, list one's reservations. Every time a person gives without an offset is read on the
 * venue's clock; every time returned carries the venue's offset.
 *
 * @module
 */
import { z } from "zod";
import { defineTool, READ_ONLY, sessionArg, withReminder, WRITES } from "../../pack/mod.ts";
import {
  BOOKING_HORIZON_DAYS,
  bookingProblem,
  cancellationTerms,
  FREE_CANCELLATION_HOURS,
  freeSpans,
  LATE_CANCELLATION_FEE_PERCENT,
  MAX_BOOKING_MINUTES,
  MIN_BOOKING_MINUTES,
  openingOn,
  priceOf,
  SLOT_MINUTES,
  startsWithin,
} from "./policy.ts";
import type { BookingStore, Reservation } from "./store.ts";
import {
  addDays,
  dayLabel,
  formatVenueTime,
  instantOf,
  isRealDate,
  localTime,
  minutesOf,
  parseVenueTime,
} from "./time.ts";
import { type Resource, VENUE } from "./venue.ts";
import {
  cancellationText,
  formatMoney,
  PRICING_SUMMARY,
  reservationLine,
  reservationView,
  ReservationViewSchema,
  resourceText,
  resourceView,
  ResourceViewSchema,
  whenText,
} from "./views.ts";

const zone = VENUE.timeZone;
const MINUTE = 60_000;
const KINDS = [...new Set(VENUE.resources.map((r) => r.kind))] as [string, ...string[]];

const resourceId = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/).describe(
  "Resource id, e.g. garden-room",
);
const reservationId = z.string().regex(/^res_[a-z0-9]{12}$/).describe(
  "Reservation id, e.g. res_k3m9x2p7q4ab",
);
const dateArg = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const clockArg = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/);
const timeArg = z.string().max(40).describe(
  `YYYY-MM-DDTHH:MM on the venue's clock (${zone}), or with an explicit offset`,
);
const durationArg = z.number().int().min(MIN_BOOKING_MINUTES).max(MAX_BOOKING_MINUTES)
  .multipleOf(SLOT_MINUTES);

/** One bookable time a search found. */
const SlotSchema = z.object({
  resourceId: z.string(),
  resourceName: z.string(),
  kind: z.string(),
  capacity: z.number().int(),
  start: z.string().describe("ISO 8601 with the venue's offset"),
  end: z.string().describe("ISO 8601 with the venue's offset"),
  priceCents: z.number().int(),
  price: z.string(),
  freeUntil: z.string().describe("The resource stays free until then: a longer booking fits"),
});

type Slot = z.infer<typeof SlotSchema>;

const tool = defineTool<BookingStore>();

/** Today on the venue's clock. */
function venueToday(now = Date.now()): string {
  return localTime(now, zone).date;
}

/**
 * Free times of `minutes` on each of `resources` over venue-local dates `from`…`to`, computed from
 * opening hours minus active reservations, soonest first.
 */
async function findSlots(
  store: BookingStore,
  resources: readonly Resource[],
  options: {
    from: string;
    to: string;
    minutes: number;
    earliest?: number;
    latest?: number;
    notBefore: number;
  },
): Promise<Slot[]> {
  const { from, to, minutes, notBefore } = options;
  const horizon = Date.now() + BOOKING_HORIZON_DAYS * 86_400_000;
  const rangeStart = instantOf(from, 0, zone);
  const rangeEnd = instantOf(addDays(to, 1), 0, zone);
  const taken = await store.takenSpans(resources.map((r) => r.id), rangeStart, rangeEnd);
  const slots: Slot[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) {
    for (const r of resources) {
      const open = openingOn(r, date, zone);
      if (!open) continue;
      const window = {
        start: options.earliest === undefined
          ? open.start
          : Math.max(open.start, instantOf(date, options.earliest, zone)),
        end: options.latest === undefined
          ? open.end
          : Math.min(open.end, instantOf(date, options.latest, zone)),
      };
      for (const span of freeSpans(window, taken.get(r.id) ?? [], notBefore)) {
        for (const start of startsWithin(span, minutes)) {
          if (start >= horizon) continue;
          const end = start + minutes * MINUTE;
          const price = priceOf(r.hourlyPriceCents, start, end, zone).totalCents;
          slots.push({
            resourceId: r.id,
            resourceName: r.name,
            kind: r.kind,
            capacity: r.capacity,
            start: formatVenueTime(start, zone),
            end: formatVenueTime(end, zone),
            priceCents: price,
            price: formatMoney(price),
            freeUntil: formatVenueTime(span.end, zone),
          });
        }
      }
    }
  }
  return slots.sort((a, b) =>
    Date.parse(a.start) - Date.parse(b.start) || a.resourceName.localeCompare(b.resourceName)
  );
}

function slotLine(s: Slot): string {
  return `${s.resourceName} [${s.resourceId}] ${
    whenText(Date.parse(s.start), Date.parse(s.end))
  } ${s.price}`;
}

/** The next few free times of `minutes` on `resource` from `after`, within a week. */
async function nextFreeTimes(
  store: BookingStore,
  resource: Resource,
  after: number,
  minutes: number,
): Promise<Slot[]> {
  const from = localTime(after, zone).date;
  const to = addDays(from, 6);
  const slots = await findSlots(store, [resource], {
    from,
    to,
    minutes,
    notBefore: Math.max(after, Date.now()),
  });
  return slots.slice(0, 3);
}

function matchesText(r: Resource, words: string[]): boolean {
  const text = `${r.id} ${r.name} ${r.kind.replace("_", " ")} ${r.description} ${
    r.amenities.join(" ")
  }`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function notFound(id: string): string {
  return `there is no resource or reservation of yours with id "${id}". Resource ids come from domain_search; your reservations from domain_list_reservations.`;
}

/** The desk's tools. */
export const bookingTools = [
  tool({
    name: "domain_search",
    title: "Find free times",
    description:
      `Free times at ${VENUE.name} for a date or a few days (default: today on the venue's ` +
      `clock, ${zone}), computed from opening hours minus reservations, up to ${BOOKING_HORIZON_DAYS} ` +
      "days ahead. Narrow by kind of space, party size, earliest start and latest end (HH:MM on the " +
      "venue's clock), length, or words about the space (e.g. piano, stage, garden). Each result " +
      "is a bookable time with its resource id, start, end and price; book one with " +
      `domain_do_action. ${PRICING_SUMMARY}`,
    inputSchema: z.object({
      session: sessionArg,
      date: dateArg.optional().describe("YYYY-MM-DD on the venue's clock (default today)"),
      days: z.number().int().min(1).max(7).optional().describe(
        "How many days from date, 1-7 (default 1)",
      ),
      kind: z.enum(KINDS).optional().describe("Kind of space"),
      resource_id: resourceId.optional().describe("Only this resource"),
      party_size: z.number().int().min(1).max(10_000).optional().describe(
        "People who will come; only spaces that hold them",
      ),
      earliest: clockArg.optional().describe("Start no earlier than HH:MM"),
      latest: clockArg.optional().describe("End no later than HH:MM"),
      duration_minutes: durationArg.optional().describe(
        `Length of the booking in minutes, ${MIN_BOOKING_MINUTES}-${MAX_BOOKING_MINUTES} in steps of ${SLOT_MINUTES} (default 60)`,
      ),
      query: z.string().max(200).optional().describe("Words the space's description must contain"),
      limit: z.number().int().min(1).max(50).optional().describe(
        "How many results, 1-50 (default 20)",
      ),
    }).strict(),
    outputSchema: withReminder({
      venue: z.object({ name: z.string(), timeZone: z.string(), currency: z.string() }),
      from: z.string(),
      to: z.string(),
      durationMinutes: z.number().int(),
      results: z.array(SlotSchema),
      more: z.number().int().describe("Further free times not shown (narrow the search)"),
      hint: z.string().optional(),
    }),
    annotations: READ_ONLY,
    access: "read",
    run: async (args, { store, reply }) => {
      const now = Date.now();
      const today = venueToday(now);
      const from = args.date ?? today;
      const days = args.days ?? 1;
      const minutes = args.duration_minutes ?? 60;
      const last = addDays(today, BOOKING_HORIZON_DAYS);
      if (!isRealDate(from) || from < today || from > last) {
        return reply.refused(
          `date must be a day from ${today} (today at the venue) to ${last}, as YYYY-MM-DD.`,
        );
      }
      const to = addDays(from, days - 1) > last ? last : addDays(from, days - 1);
      const [earliest, latest] = [args.earliest, args.latest].map((c) =>
        c === undefined ? undefined : minutesOf(c)
      );
      if (earliest !== undefined && latest !== undefined && latest - earliest < minutes) {
        return reply.refused(
          `between ${args.earliest} and ${args.latest} there is no room for ${minutes} minutes; widen the times or shorten duration_minutes.`,
        );
      }
      const words = (args.query ?? "").toLowerCase().split(/\s+/).filter((w) => w !== "");
      const resources = (await store.listResources()).filter((r) =>
        (args.kind === undefined || r.kind === args.kind) &&
        (args.resource_id === undefined || r.id === args.resource_id) &&
        (args.party_size === undefined || r.capacity >= args.party_size) &&
        matchesText(r, words)
      );
      const venue = { name: VENUE.name, timeZone: zone, currency: VENUE.currency };
      const base = { venue, from, to, durationMinutes: minutes };
      if (resources.length === 0) {
        const hint = args.resource_id !== undefined && args.kind === undefined &&
            args.party_size === undefined && words.length === 0
          ? `There is no resource "${args.resource_id}". Search without resource_id to see them all.`
          : "No space matches those conditions (kind, party size, words). Loosen one of them.";
        return reply.success({ ...base, results: [], more: 0, hint }, hint);
      }
      const slots = await findSlots(store, resources, {
        from,
        to,
        minutes,
        earliest,
        latest,
        notBefore: now,
      });
      const limit = args.limit ?? 20;
      const results = slots.slice(0, limit);
      const more = slots.length - results.length;
      const range = from === to ? dayLabel(from) : `${dayLabel(from)} to ${dayLabel(to)}`;
      if (results.length === 0) {
        const hint = `Nothing free for ${minutes} minutes on ${range} with those conditions. ` +
          "Try another day (date, days), a shorter duration_minutes, or wider times.";
        return reply.success({ ...base, results, more, hint }, hint);
      }
      return reply.success(
        { ...base, results, more },
        `Free for ${minutes} minutes, ${range} (${zone}):\n${results.map(slotLine).join("\n")}${
          more > 0 ? `\n…and ${more} more; narrow the search to see them.` : ""
        }\nBook one with domain_do_action (action "book").`,
      );
    },
  }),

  tool({
    name: "domain_get_item",
    title: "Look at a resource or reservation",
    description: "Returns one bookable resource by id (description, capacity, amenities, opening " +
      "hours, prices), or one of the person's own reservations by id (res_…), with its price and " +
      "what cancelling it would cost now.",
    inputSchema: z.object({
      session: sessionArg,
      id: z.string().min(1).max(40).describe(
        "A resource id (garden-room) or a reservation id (res_…)",
      ),
    }).strict(),
    outputSchema: withReminder({
      resource: ResourceViewSchema.optional(),
      reservation: ReservationViewSchema.optional(),
    }),
    annotations: READ_ONLY,
    access: "read",
    run: async ({ id }, { store, identity, reply }) => {
      if (id.startsWith("res_")) {
        const found = await store.getReservation(identity.sub, id);
        if (!found) return reply.refused(notFound(id));
        const now = Date.now();
        return reply.success(
          { reservation: reservationView(found, now) },
          `${reservationLine(found)}${found.note ? `\nNote: ${found.note}` : ""}${
            found.status === "active" ? `\n${cancellationText(found, now)}` : ""
          }`,
        );
      }
      const resource = await store.getResource(id);
      if (!resource) return reply.refused(notFound(id));
      return reply.success({ resource: resourceView(resource) }, resourceText(resource));
    },
  }),

  tool({
    name: "domain_do_action",
    title: "Book or cancel",
    description: "`book` reserves a resource: resource_id, start and end (on a quarter hour, " +
      `${MIN_BOOKING_MINUTES} min to ${MAX_BOOKING_MINUTES / 60} h, within opening hours, ` +
      `at most ${BOOKING_HORIZON_DAYS} days ahead), party_size, an optional note, and an ` +
      "idempotency_key you make up for this booking (e.g. a short random string): if the call " +
      "is retried with the same key, the same reservation comes back instead of a second one. " +
      "Confirm the time and price with the person before booking. `cancel` cancels one of the " +
      `person's reservations by reservation_id: free until ${FREE_CANCELLATION_HOURS} h before ` +
      `the start, then ${LATE_CANCELLATION_FEE_PERCENT}% of the price, and not once it has started.`,
    inputSchema: z.object({
      session: sessionArg,
      action: z.enum(["book", "cancel"]),
      resource_id: resourceId.optional().describe("book: the resource"),
      start: timeArg.optional().describe(
        `book: start, YYYY-MM-DDTHH:MM on the venue's clock (${zone}) or with an offset`,
      ),
      end: timeArg.optional().describe("book: end, same form"),
      party_size: z.number().int().min(1).max(10_000).optional().describe(
        "book: how many people",
      ),
      note: z.string().max(300).optional().describe("book: a note for the desk (optional)"),
      idempotency_key: z.string().regex(/^[A-Za-z0-9._:-]{8,64}$/).optional().describe(
        "book, required: 8-64 letters, digits or ._:- chosen for this booking; reuse it only to retry",
      ),
      reservation_id: reservationId.optional().describe("cancel: the reservation"),
    }).strict(),
    outputSchema: withReminder({
      action: z.enum(["book", "cancel"]),
      outcome: z.enum(["booked", "already_booked", "cancelled"]).describe(
        "already_booked: this idempotency_key had booked it before; nothing new was booked",
      ),
      reservation: ReservationViewSchema,
      priceCents: z.number().int().optional().describe("book: the price"),
      feeCents: z.number().int().optional().describe("cancel: the fee charged"),
    }),
    annotations: WRITES,
    access: "write",
    run: async (args, { store, identity, reply }) => {
      const now = Date.now();
      if (args.action === "cancel") {
        const stray =
          (["resource_id", "start", "end", "party_size", "note", "idempotency_key"] as const)
            .filter((k) => args[k] !== undefined);
        if (args.reservation_id === undefined) {
          return reply.refused(
            "cancel needs reservation_id (res_…); find it with domain_list_reservations.",
          );
        }
        if (stray.length > 0) {
          return reply.refused(`cancel takes only reservation_id, not ${stray.join(", ")}.`);
        }
        const done = await store.cancel(identity.sub, args.reservation_id, (r, at) => {
          const terms = cancellationTerms(r.start, r.priceCents, at);
          return terms.allowed ? terms.feeCents : null;
        });
        switch (done.outcome) {
          case "not_found":
            return reply.refused(notFound(args.reservation_id));
          case "already_cancelled":
            return reply.refused(
              `${done.reservation.id} was already cancelled (${
                formatVenueTime(done.reservation.cancelledAt!, zone)
              }).`,
            );
          case "started":
            return reply.refused(
              `${done.reservation.id} started at ${
                formatVenueTime(done.reservation.start, zone)
              }; a booking cannot be cancelled once it has started.`,
            );
        }
        const r = done.reservation;
        const fee = r.feeCents ?? 0;
        return reply.success(
          {
            action: "cancel",
            outcome: "cancelled",
            reservation: reservationView(r, now),
            feeCents: fee,
          },
          `Cancelled: ${reservationLine(r)}.\n${
            fee === 0
              ? "No fee: it was cancelled more than 24 hours before the start."
              : `Cancellation fee ${formatMoney(fee)} (${LATE_CANCELLATION_FEE_PERCENT}% of ${
                formatMoney(r.priceCents)
              }: cancelled within ${FREE_CANCELLATION_HOURS} hours of the start).`
          }`,
        );
      }

      // book
      const missing = (["resource_id", "start", "end", "party_size", "idempotency_key"] as const)
        .filter((k) => args[k] === undefined);
      if (missing.length > 0) {
        return reply.refused(
          `book needs ${missing.join(", ")}${
            missing.includes("idempotency_key")
              ? " (idempotency_key: a string you make up for this booking, so a retried call cannot book twice)"
              : ""
          }.`,
        );
      }
      if (args.reservation_id !== undefined) {
        return reply.refused("book takes no reservation_id (that is for cancel).");
      }
      const start = parseVenueTime(args.start!, zone);
      const end = parseVenueTime(args.end!, zone);
      if (start === undefined || end === undefined) {
        return reply.refused(
          `start and end must be times like 2030-05-04T18:30 (read on the venue's clock, ${zone}) or with an offset like 2030-05-04T18:30+02:00; got ${
            JSON.stringify(args.start)
          } and ${JSON.stringify(args.end)}.`,
        );
      }
      const resource = await store.getResource(args.resource_id!);
      if (!resource) {
        return reply.refused(
          `there is no resource "${args.resource_id}". Resource ids come from domain_search.`,
        );
      }
      const request = { start, end, partySize: args.party_size! };
      const problem = bookingProblem(resource, request, now, zone);
      if (problem) return reply.refused(problem);
      const price = priceOf(resource.hourlyPriceCents, start, end, zone).totalCents;
      const booked = await store.book(identity.sub, {
        resourceId: resource.id,
        start,
        end,
        partySize: request.partySize,
        note: args.note ?? null,
        idempotencyKey: args.idempotency_key!,
        priceCents: price,
      }, zone);
      switch (booked.outcome) {
        case "key_reused":
          return reply.refused(
            `idempotency_key "${args.idempotency_key}" already booked ${
              reservationLine(booked.reservation)
            }. Use a new key for a different booking; reuse a key only to retry the same one.`,
          );
        case "limit":
          return reply.refused(
            `this member already holds ${booked.limit} upcoming reservations, the most one member ` +
              "may. Cancel one they no longer need (domain_list_reservations lists them), then book.",
          );
        case "not_bookable":
          return reply.refused(
            `${resource.name} cannot be booked for ${
              whenText(start, end)
            } (closed, too small or already started). Check domain_search for free times.`,
          );
        case "taken": {
          const minutes = (end - start) / MINUTE;
          const next = await nextFreeTimes(store, resource, start, minutes);
          return reply.refused(
            `that time was just taken: ${resource.name} is already booked for part of ${
              whenText(start, end)
            }. ${
              next.length === 0
                ? "It has no free time of that length in the next week; try another resource."
                : `Next free times: ${next.map(slotLine).join("; ")}.`
            } Offer the person one of these, or another resource.`,
          );
        }
      }
      const r: Reservation = booked.reservation;
      const again = booked.outcome === "replayed";
      return reply.success(
        {
          action: "book",
          outcome: again ? "already_booked" : "booked",
          reservation: reservationView(r, now),
          priceCents: r.priceCents,
        },
        `${again ? "Already booked with this idempotency_key (nothing new booked)" : "Booked"}: ${
          reservationLine(r)
        }${r.status === "cancelled" ? " (since cancelled)" : ""}.\n${cancellationText(r, now)}`,
      );
    },
  }),

  tool({
    name: "domain_list_reservations",
    title: "List my reservations",
    description: "The person's upcoming reservations, soonest first; optionally past ones and " +
      "cancelled ones too. Times carry the venue's offset.",
    inputSchema: z.object({
      session: sessionArg,
      include_past: z.boolean().optional().describe("Also reservations that have ended"),
      include_cancelled: z.boolean().optional().describe("Also cancelled reservations"),
      limit: z.number().int().min(1).max(50).optional().describe("How many, 1-50 (default 20)"),
    }).strict(),
    outputSchema: withReminder({
      reservations: z.array(ReservationViewSchema),
      includePast: z.boolean(),
      includeCancelled: z.boolean(),
    }),
    annotations: READ_ONLY,
    access: "read",
    run: async (args, { store, identity, reply }) => {
      const includePast = args.include_past ?? false;
      const includeCancelled = args.include_cancelled ?? false;
      const list = await store.listReservations(identity.sub, {
        includePast,
        includeCancelled,
        limit: args.limit ?? 20,
      });
      const now = Date.now();
      const what = includePast ? "reservations" : "upcoming reservations";
      return reply.success(
        { reservations: list.map((r) => reservationView(r, now)), includePast, includeCancelled },
        list.length === 0
          ? `No ${what}.`
          : `Your ${what} (${zone}):\n${list.map(reservationLine).join("\n")}`,
      );
    },
  }),
];

/** Upcoming reservations in a sentence, for `begin_session`. */
export function upcomingText(list: readonly Reservation[]): string {
  return list.length === 0
    ? "Upcoming reservations: none."
    : `Upcoming reservations: ${list.map(reservationLine).join("; ")}.`;
}
