/**
 * How resources and reservations look to a model: output schemas and the structured and text
 * renderings the tools (and `begin_session`) return. Every time carries the venue's offset.
 *
 * @module
 */
import { z } from "zod";
import {
  cancellationTerms,
  FREE_CANCELLATION_HOURS,
  hoursText,
  LATE_CANCELLATION_FEE_PERCENT,
  PEAK,
  ratePercent,
  WEEKEND_PERCENT,
} from "./policy.ts";
import type { Reservation } from "./store.ts";
import { clock, dayLabel, formatVenueTime, localTime, WEEKDAYS } from "./time.ts";
import type { Resource, Venue } from "./venue.ts";

const at = z.string().describe("ISO 8601 time with the venue's UTC offset");

/** A resource as tools return it. */
export const ResourceViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  capacity: z.number().int().describe("Most people allowed at once"),
  description: z.string(),
  amenities: z.array(z.string()),
  openingHours: z.record(z.string(), z.string()).describe(
    "By weekday (mon…sun): HH:MM–HH:MM on the venue's clock, or closed",
  ),
  prices: z.object({
    currency: z.string(),
    standardPerHourCents: z.number().int(),
    peakPerHourCents: z.number().int().describe(
      `Weekdays ${clock(PEAK.from)}–${clock(PEAK.to)}`,
    ),
    weekendPerHourCents: z.number().int().describe("Saturday and Sunday, all day"),
  }),
});

/** A reservation as tools return it. */
export const ReservationViewSchema = z.object({
  id: z.string(),
  resourceId: z.string(),
  resourceName: z.string(),
  start: at,
  end: at,
  partySize: z.number().int(),
  note: z.string().nullable(),
  status: z.enum(["active", "cancelled"]),
  priceCents: z.number().int(),
  price: z.string().describe("The price, formatted"),
  currency: z.string(),
  createdAt: at,
  cancelledAt: at.nullable(),
  feeCents: z.number().int().nullable().describe("The cancellation fee charged, once cancelled"),
  cancellation: z.object({
    freeUntil: at.describe(`${FREE_CANCELLATION_HOURS} h before the start`),
    lateFeeCents: z.number().int().describe(
      `What cancelling after freeUntil costs (${LATE_CANCELLATION_FEE_PERCENT}% of the price)`,
    ),
    feeIfCancelledNowCents: z.number().int().nullable().describe(
      "null when it can no longer be cancelled (started, or already cancelled)",
    ),
  }),
  idempotencyKey: z.string(),
});

/** A reservation's view. */
export type ReservationView = z.infer<typeof ReservationViewSchema>;

/** How the venue's resources and reservations read: times on its clock, prices in its currency. */
export interface DeskViews {
  /** The venue's IANA time zone. */
  zone: string;
  /** `€30.00`. */
  formatMoney(cents: number): string;
  /** `Tue 5 May 18:00–19:00` on the venue's clock. */
  whenText(start: number, end: number): string;
  resourceView(r: Resource): z.infer<typeof ResourceViewSchema>;
  resourceText(r: Resource): string;
  reservationView(r: Reservation, now: number): ReservationView;
  reservationLine(r: Reservation): string;
  cancellationText(r: Reservation, now: number): string;
}

const made = new WeakMap<Venue, DeskViews>();

/** The views of `venue` (the pack's fixed content), made once per venue. */
export function viewsOf(venue: Venue): DeskViews {
  let views = made.get(venue);
  if (!views) {
    views = createViews(venue);
    made.set(venue, views);
  }
  return views;
}

function createViews(venue: Venue): DeskViews {
  const zone = venue.timeZone;
  const money = new Intl.NumberFormat("en-IE", { style: "currency", currency: venue.currency });
  const formatMoney = (cents: number) => money.format(cents / 100);
  const whenText = (start: number, end: number) => {
    const a = localTime(start, zone);
    const b = localTime(end, zone);
    return `${dayLabel(a.date)} ${clock(a.minutes)}–${clock(b.minutes)}`;
  };
  return {
    zone,
    formatMoney,
    whenText,
    resourceView,
    resourceText,
    reservationView,
    reservationLine,
    cancellationText,
  };

  /** The view of `r`. */
  function resourceView(r: Resource): z.infer<typeof ResourceViewSchema> {
    const perHour = (percent: number) => Math.round((r.hourlyPriceCents * percent) / 100);
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      capacity: r.capacity,
      description: r.description,
      amenities: r.amenities,
      openingHours: Object.fromEntries(
        WEEKDAYS.map((d) => [d, r.hours[d] ? `${r.hours[d]![0]}–${r.hours[d]![1]}` : "closed"]),
      ),
      prices: {
        currency: venue.currency,
        standardPerHourCents: r.hourlyPriceCents,
        peakPerHourCents: perHour(ratePercent("peak")),
        weekendPerHourCents: perHour(ratePercent("weekend")),
      },
    };
  }

  /** The text of a resource. */
  function resourceText(r: Resource): string {
    const v = resourceView(r);
    return [
      `[${r.id}] ${r.name} (${r.kind.replace("_", " ")}, up to ${r.capacity} people)`,
      r.description,
      `Amenities: ${r.amenities.join(", ")}.`,
      `Opening hours (${zone}): ${hoursText(r)}.`,
      `Per hour: ${formatMoney(v.prices.standardPerHourCents)}; weekdays ${clock(PEAK.from)}–${
        clock(PEAK.to)
      } ${formatMoney(v.prices.peakPerHourCents)}; weekends ${
        formatMoney(v.prices.weekendPerHourCents)
      }.`,
    ].join("\n");
  }

  /** The view of `r` at `now`. */
  function reservationView(r: Reservation, now: number): ReservationView {
    const terms = cancellationTerms(r.start, r.priceCents, now);
    const late = cancellationTerms(r.start, r.priceCents, r.start - 1);
    return {
      id: r.id,
      resourceId: r.resourceId,
      resourceName: r.resourceName,
      start: formatVenueTime(r.start, zone),
      end: formatVenueTime(r.end, zone),
      partySize: r.partySize,
      note: r.note,
      status: r.status,
      priceCents: r.priceCents,
      price: formatMoney(r.priceCents),
      currency: venue.currency,
      createdAt: formatVenueTime(r.createdAt, zone),
      cancelledAt: r.cancelledAt === null ? null : formatVenueTime(r.cancelledAt, zone),
      feeCents: r.feeCents,
      cancellation: {
        freeUntil: formatVenueTime(r.start - FREE_CANCELLATION_HOURS * 3_600_000, zone),
        lateFeeCents: late.allowed ? late.feeCents : 0,
        feeIfCancelledNowCents: r.status === "active" && terms.allowed ? terms.feeCents : null,
      },
      idempotencyKey: r.idempotencyKey,
    };
  }

  /** One line for a reservation: `[res_…] The Garden Room, Tue 5 May 18:00–19:00, 4 people, €30.00`. */
  function reservationLine(r: Reservation): string {
    const status = r.status === "cancelled"
      ? ` — cancelled${r.feeCents ? `, fee ${formatMoney(r.feeCents)}` : ", no fee"}`
      : "";
    return `[${r.id}] ${r.resourceName}, ${whenText(r.start, r.end)}, ${r.partySize} ${
      r.partySize === 1 ? "person" : "people"
    }, ${formatMoney(r.priceCents)}${status}`;
  }

  /** What the cancellation rules mean for `r` now, in a sentence. */
  function cancellationText(r: Reservation, now: number): string {
    if (r.status === "cancelled") return "";
    const terms = cancellationTerms(r.start, r.priceCents, now);
    if (!terms.allowed) return "It has started; it can no longer be cancelled.";
    const freeUntil = localTime(terms.freeUntil, zone);
    return terms.feeCents === 0
      ? `Free to cancel until ${dayLabel(freeUntil.date)} ${
        clock(freeUntil.minutes)
      }; after that the fee is ${LATE_CANCELLATION_FEE_PERCENT}% of the price.`
      : `Cancelling now costs ${
        formatMoney(terms.feeCents)
      } (${LATE_CANCELLATION_FEE_PERCENT}% of the price: it starts within ${FREE_CANCELLATION_HOURS} hours).`;
  }
}

/** The weekend surcharge in words, for descriptions. */
export const PRICING_SUMMARY = `Prices are per hour and per resource; weekdays ${
  clock(PEAK.from)
}–${
  clock(PEAK.to)
} cost ${PEAK.percent}% and Saturdays and Sundays ${WEEKEND_PERCENT}% of the standard rate.`;
