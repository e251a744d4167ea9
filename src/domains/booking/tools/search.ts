/**
 * `domain_search`: free times for a date or a few days, narrowed by kind, party size, times,
 * length or words about the space.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../../pack/mod.ts";
import {
  BOOKING_HORIZON_DAYS,
  MAX_BOOKING_MINUTES,
  MIN_BOOKING_MINUTES,
  SLOT_MINUTES,
} from "../policy.ts";
import type { BookingStore } from "../store.ts";
import { addDays, dayLabel, isRealDate, minutesOf } from "../time.ts";
import type { Resource } from "../venue.ts";
import { PRICING_SUMMARY } from "../views.ts";
import { clockArg, dateArg, durationArg, EXAMPLE_DAY, kindArg, resourceId } from "./arguments.ts";
import { findSlots, slotLine, SlotSchema, venueToday } from "./slots.ts";

function matchesText(r: Resource, words: string[]): boolean {
  const text = `${r.id} ${r.name} ${r.kind.replace("_", " ")} ${r.description} ${
    r.amenities.join(" ")
  }`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** `domain_search`. */
export const searchTool = defineTool<BookingStore>()({
  name: "domain_search",
  title: "Find free times",
  description: "Free times at the venue for a date or a few days (default: today on the venue's " +
    "clock; its time zone comes with every result), computed from opening hours minus " +
    `reservations, up to ${BOOKING_HORIZON_DAYS} days ahead. Narrow by kind of space (e.g. ` +
    "meeting_room), party size, earliest start and latest end (HH:MM on the venue's clock), " +
    "length, or words about the space (e.g. piano, stage, garden). Each result is a bookable " +
    "time with its resource id, start, end and price; book one with domain_book. " +
    PRICING_SUMMARY,
  access: "read",
  inputSchema: z.object({
    date: dateArg.optional().describe("YYYY-MM-DD on the venue's clock (default today)"),
    days: z.number().int().min(1).max(7).optional().describe(
      "How many days from date, 1-7 (default 1)",
    ),
    kind: kindArg.optional().describe("Kind of space, e.g. meeting_room"),
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
  }),
  outputSchema: z.object({
    venue: z.object({ name: z.string(), timeZone: z.string(), currency: z.string() }),
    from: z.string(),
    to: z.string(),
    durationMinutes: z.number().int(),
    results: z.array(SlotSchema),
    more: z.number().int().describe("Further free times not shown (narrow the search)"),
  }),
  example: { kind: "meeting_room", party_size: 4, date: EXAMPLE_DAY },
  run: async (args, { store, reply }) => {
    const { venue } = store;
    const zone = venue.timeZone;
    const now = Date.now();
    const today = venueToday(zone, now);
    const from = args.date ?? today;
    const days = args.days ?? 1;
    const minutes = args.duration_minutes ?? 60;
    const last = addDays(today, BOOKING_HORIZON_DAYS);
    if (!isRealDate(from) || from < today || from > last) {
      return reply.refused(
        `date must be a day from ${today} (today at the venue) to ${last}, as YYYY-MM-DD.`,
      );
    }
    const kinds = [...new Set(venue.resources.map((r) => r.kind))];
    if (args.kind !== undefined && !kinds.includes(args.kind)) {
      return reply.refused(`kind must be one of ${kinds.join(", ")}.`);
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
    const base = {
      venue: { name: venue.name, timeZone: zone, currency: venue.currency },
      from,
      to,
      durationMinutes: minutes,
    };
    if (resources.length === 0) {
      // What was found goes in the text; what to do next, as in every answer, in the guidance.
      const [found, advice] = args.resource_id !== undefined && args.kind === undefined &&
          args.party_size === undefined && words.length === 0
        ? [
          `There is no resource "${args.resource_id}".`,
          "Search without resource_id to see them all.",
        ]
        : [
          "No space matches those conditions (kind, party size, words).",
          "Loosen one of them and search again.",
        ];
      return reply.success({ ...base, results: [], more: 0 }, found, [advice]);
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
      return reply.success(
        { ...base, results, more },
        `Nothing free for ${minutes} minutes on ${range} with those conditions.`,
        ["Try another day (date, days), a shorter duration_minutes, or wider times."],
      );
    }
    return reply.success(
      { ...base, results, more },
      `Free for ${minutes} minutes, ${range} (${zone}):\n${
        results.map((s) => slotLine(store, s)).join("\n")
      }${more > 0 ? `\n…and ${more} more.` : ""}`,
      [
        ...(more > 0
          ? [`${more} more free times are not shown: narrow the search to see them.`]
          : []),
        "Confirm the time and price with the person, then book with domain_book.",
      ],
    );
  },
});
