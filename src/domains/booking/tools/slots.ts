/**
 * Free times: opening hours minus active reservations, cut into bookable slots. `domain_search`
 * lists them; a booking that lost a race offers the next few.
 *
 * @module
 */
import { z } from "zod";
import { BOOKING_HORIZON_DAYS, freeSpans, openingOn, priceOf, startsWithin } from "../policy.ts";
import type { BookingStore } from "../store.ts";
import { addDays, formatVenueTime, instantOf, localTime } from "../time.ts";
import type { Resource } from "../venue.ts";
import { viewsOf } from "../views.ts";

const MINUTE = 60_000;

/** One bookable time a search found. */
export const SlotSchema = z.object({
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

/** One bookable time. */
export type Slot = z.infer<typeof SlotSchema>;

/** Today on the venue's clock. */
export function venueToday(zone: string, now = Date.now()): string {
  return localTime(now, zone).date;
}

/**
 * Free times of `minutes` on each of `resources` over venue-local dates `from`…`to`, computed from
 * opening hours minus active reservations, soonest first.
 */
export async function findSlots(
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
  const views = viewsOf(store.venue);
  const zone = views.zone;
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
            price: views.formatMoney(price),
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

/** `Garden Room [garden-room] Tue 5 May 18:00–19:00 €30.00`. */
export function slotLine(store: BookingStore, s: Slot): string {
  return `${s.resourceName} [${s.resourceId}] ${
    viewsOf(store.venue).whenText(Date.parse(s.start), Date.parse(s.end))
  } ${s.price}`;
}

/** The next few free times of `minutes` on `resource` from `after`, within a week. */
export async function nextFreeTimes(
  store: BookingStore,
  resource: Resource,
  after: number,
  minutes: number,
): Promise<Slot[]> {
  const from = localTime(after, store.venue.timeZone).date;
  const to = addDays(from, 6);
  const slots = await findSlots(store, [resource], {
    from,
    to,
    minutes,
    notBefore: Math.max(after, Date.now()),
  });
  return slots.slice(0, 3);
}
