/**
 * `domain_book`: book a resource for the person. One flat object of arguments, so every host can
 * offer it as it is (a union of objects is merged wrongly by some: see `portable_schema.ts`).
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../../pack/mod.ts";
import {
  BOOKING_HORIZON_DAYS,
  bookingProblem,
  MAX_BOOKING_MINUTES,
  MIN_BOOKING_MINUTES,
  priceOf,
  SLOT_MINUTES,
} from "../policy.ts";
import type { BookingStore } from "../store.ts";
import { parseVenueTime, skippedTimeProblem } from "../time.ts";
import { ReservationViewSchema, viewsOf } from "../views.ts";
import { bookingKey, EXAMPLE_BOOKING_KEY, EXAMPLE_DAY, resourceId, timeArg } from "./arguments.ts";
import { nextFreeTimes, slotLine } from "./slots.ts";

const MINUTE = 60_000;

/** `domain_book`. */
export const bookTool = defineTool<BookingStore>()({
  name: "domain_book",
  title: "Book a space",
  description: "Reserves a resource for the person: resource_id, start and end (on a quarter " +
    `hour, ${MIN_BOOKING_MINUTES} min to ${MAX_BOOKING_MINUTES / 60} h, within opening hours, ` +
    `at most ${BOOKING_HORIZON_DAYS} days ahead), party_size, an optional note, and an ` +
    "idempotency_key you make up for this booking (e.g. a short random string): if the call is " +
    "retried with the same key, the same reservation comes back instead of a second one. " +
    "Confirm the time and price with the person before booking. Offer only times domain_search " +
    "returns; cancel with domain_cancel.",
  access: "write",
  inputSchema: z.object({
    resource_id: resourceId.describe("The resource, from domain_search"),
    start: timeArg.describe(
      "Start: YYYY-MM-DDTHH:MM on the venue's clock, or with an offset like 2030-05-04T18:30+02:00",
    ),
    end: timeArg.describe("End, same form"),
    party_size: z.number().int().min(1).max(10_000).describe("How many people"),
    note: z.string().max(300).optional().describe("A note for the desk (optional)"),
    idempotency_key: bookingKey.describe(
      "8-64 letters, digits or ._:- you make up for this booking; reuse it only to retry it",
    ),
  }),
  outputSchema: z.object({
    outcome: z.enum(["booked", "already_booked"]).describe(
      "already_booked: this idempotency_key had booked it before; nothing new was booked",
    ),
    reservation: ReservationViewSchema,
    priceCents: z.number().int().describe("The price"),
  }),
  example: {
    resource_id: "garden-room",
    start: `${EXAMPLE_DAY}T10:00`,
    end: `${EXAMPLE_DAY}T11:00`,
    party_size: 4,
    idempotency_key: EXAMPLE_BOOKING_KEY,
  },
  run: async (args, { store, identity, reply }) => {
    const views = viewsOf(store.venue);
    const zone = views.zone;
    const now = Date.now();
    const start = parseVenueTime(args.start, zone);
    const end = parseVenueTime(args.end, zone);
    if (start === undefined || end === undefined) {
      // A well-formed time the clocks skip gets its own answer: "use the format" would not help.
      const skippedStart = start === undefined &&
        skippedTimeProblem(args.start, zone, SLOT_MINUTES);
      if (skippedStart) return reply.refused(`the start time ${skippedStart}`);
      const skippedEnd = end === undefined && skippedTimeProblem(args.end, zone, SLOT_MINUTES);
      if (skippedEnd) return reply.refused(`the end time ${skippedEnd}`);
      return reply.refused(
        `start and end must be times like 2030-05-04T18:30 (read on the venue's clock, ${zone}) or with an offset like 2030-05-04T18:30+02:00; got ${
          JSON.stringify(args.start)
        } and ${JSON.stringify(args.end)}.`,
      );
    }
    const resource = await store.getResource(args.resource_id);
    if (!resource) {
      return reply.refused(
        `there is no resource "${args.resource_id}". Resource ids come from domain_search.`,
      );
    }
    const request = { start, end, partySize: args.party_size };
    const problem = bookingProblem(resource, request, now, zone);
    if (problem) return reply.refused(problem);
    const price = priceOf(resource.hourlyPriceCents, start, end, zone).totalCents;
    const booked = await store.book(identity.sub, {
      resourceId: resource.id,
      start,
      end,
      partySize: request.partySize,
      note: args.note ?? null,
      idempotencyKey: args.idempotency_key,
      priceCents: price,
    }, zone);
    switch (booked.outcome) {
      case "key_reused":
        return reply.refused(
          `idempotency_key "${args.idempotency_key}" already booked ${
            views.reservationLine(booked.reservation)
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
            views.whenText(start, end)
          } (closed, too small or already started). Check domain_search for free times.`,
        );
      case "taken":
        return reply.refused(await takenText(store, resource, start, end));
    }
    const r = booked.reservation;
    const again = booked.outcome === "replayed";
    return reply.success(
      {
        outcome: again ? "already_booked" : "booked",
        reservation: views.reservationView(r, now),
        priceCents: r.priceCents,
      },
      `${again ? "Already booked with this idempotency_key (nothing new booked)" : "Booked"}: ${
        views.reservationLine(r)
      }${r.status === "cancelled" ? " (since cancelled)" : ""}.\n${views.cancellationText(r, now)}`,
    );
  },
});

/** The refusal for a time someone else just took, with the next free times to offer instead. */
async function takenText(
  store: BookingStore,
  resource: Parameters<typeof nextFreeTimes>[1],
  start: number,
  end: number,
): Promise<string> {
  const next = await nextFreeTimes(store, resource, start, (end - start) / MINUTE);
  return `that time was just taken: ${resource.name} is already booked for part of ${
    viewsOf(store.venue).whenText(start, end)
  }. ${
    next.length === 0
      ? "It has no free time of that length in the next week; try another resource."
      : `Next free times: ${next.map((s) => slotLine(store, s)).join("; ")}.`
  } Offer the person one of these, or another resource.`;
}
