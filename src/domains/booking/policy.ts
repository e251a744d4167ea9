/**
 * The desk's rules as code: how bookings are shaped, what they cost, what cancelling costs, and
 * which times are free. `seed/booking/rules.md` states the same rules in words (a test keeps the
 * two in step). Pure functions over instants (milliseconds) and the venue's clock.
 *
 * @module
 */
import type { Resource } from "./venue.ts";
import { addDays, clock, instantOf, localTime, minutesOf, WEEKDAYS } from "./time.ts";

/** Every booking starts and ends on a quarter hour: the unit of the slot table. */
export const SLOT_MINUTES = 15;
/** Shortest booking. */
export const MIN_BOOKING_MINUTES = 30;
/** Longest booking. */
export const MAX_BOOKING_MINUTES = 4 * 60;
/** How far ahead a booking may start. */
export const BOOKING_HORIZON_DAYS = 60;

/** Weekday evenings from 17:00 to 21:00 cost more… */
export const PEAK = { from: 17 * 60, to: 21 * 60, percent: 150 } as const;
/** …and all of Saturday and Sunday costs a little more (not added to peak: the weekend rate wins). */
export const WEEKEND_PERCENT = 125;

/** Cancelling is free until this long before the start… */
export const FREE_CANCELLATION_HOURS = 24;
/** …after that (and until the start) it costs this share of the price. */
export const LATE_CANCELLATION_FEE_PERCENT = 50;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Which rate a quarter hour is charged at. */
export type Rate = "standard" | "peak" | "weekend";

/** What a booking costs, and why. */
export interface Price {
  totalCents: number;
  /** Minutes charged at each rate. */
  minutes: Record<Rate, number>;
}

/** The rate of the quarter hour starting at `ms`. */
export function rateAt(ms: number, zone: string): Rate {
  const t = localTime(ms, zone);
  if (t.isoWeekday >= 6) return "weekend";
  return t.minutes >= PEAK.from && t.minutes < PEAK.to ? "peak" : "standard";
}

/** Percent of the hourly price charged at `rate`. */
export function ratePercent(rate: Rate): number {
  return rate === "peak" ? PEAK.percent : rate === "weekend" ? WEEKEND_PERCENT : 100;
}

/** The price of `resource` from `start` to `end`, quarter hour by quarter hour. */
export function priceOf(hourlyPriceCents: number, start: number, end: number, zone: string): Price {
  const minutes: Record<Rate, number> = { standard: 0, peak: 0, weekend: 0 };
  let hundredths = 0; // cents × percent × slot minutes, divided once at the end
  for (let t = start; t < end; t += SLOT_MINUTES * MINUTE) {
    const rate = rateAt(t, zone);
    minutes[rate] += SLOT_MINUTES;
    hundredths += hourlyPriceCents * ratePercent(rate) * SLOT_MINUTES;
  }
  return { totalCents: Math.round(hundredths / (100 * 60)), minutes };
}

/** What cancelling costs now, or why it is no longer possible. */
export type CancellationTerms =
  | { allowed: true; feeCents: number; freeUntil: number }
  | { allowed: false; reason: "started" };

/** The cancellation rules applied at `now` to a booking starting at `start` priced `priceCents`. */
export function cancellationTerms(
  start: number,
  priceCents: number,
  now: number,
): CancellationTerms {
  const freeUntil = start - FREE_CANCELLATION_HOURS * HOUR;
  if (now >= start) return { allowed: false, reason: "started" };
  if (now < freeUntil) return { allowed: true, feeCents: 0, freeUntil };
  return {
    allowed: true,
    feeCents: Math.round((priceCents * LATE_CANCELLATION_FEE_PERCENT) / 100),
    freeUntil,
  };
}

/** An interval of instants, `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** When `resource` is open on venue-local `date`, as instants; `null` if closed that day. */
export function openingOn(resource: Resource, date: string, zone: string): Span | null {
  const weekday = WEEKDAYS[(new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7];
  const hours = resource.hours[weekday];
  if (!hours) return null;
  return {
    start: instantOf(date, minutesOf(hours[0]), zone),
    end: instantOf(date, minutesOf(hours[1]), zone),
  };
}

/**
 * Why a booking of `resource` from `start` to `end` for `partySize` cannot be made, in words that
 * say what to change; `null` when the request itself fits the rules (whether the time is still
 * free is for the database to say).
 */
export function bookingProblem(
  resource: Resource,
  request: { start: number; end: number; partySize: number },
  now: number,
  zone: string,
): string | null {
  const { start, end, partySize } = request;
  const local = localTime(start, zone);
  const localEnd = localTime(end, zone);
  if (end <= start) return "the end must be after the start.";
  if (start % (SLOT_MINUTES * MINUTE) !== 0 || end % (SLOT_MINUTES * MINUTE) !== 0) {
    return "bookings start and end on a quarter hour (:00, :15, :30 or :45).";
  }
  if (start <= now) {
    return "that start time is in the past. Pick a time later than now (domain_search lists free times).";
  }
  if (start >= now + BOOKING_HORIZON_DAYS * 24 * HOUR) {
    return `bookings open ${BOOKING_HORIZON_DAYS} days ahead; pick a start before ${
      addDays(localTime(now, zone).date, BOOKING_HORIZON_DAYS)
    }.`;
  }
  const minutes = (end - start) / MINUTE;
  if (minutes < MIN_BOOKING_MINUTES || minutes > MAX_BOOKING_MINUTES) {
    return `a booking lasts from ${MIN_BOOKING_MINUTES} minutes to ${
      MAX_BOOKING_MINUTES / 60
    } hours; this one is ${minutes} minutes.`;
  }
  if (partySize > resource.capacity) {
    return `${resource.name} holds at most ${resource.capacity} people; the party is ${partySize}. Choose a larger space (domain_search with party_size) or a smaller party.`;
  }
  const open = openingOn(resource, local.date, zone);
  if (!open) {
    return `${resource.name} is closed on that day. Its opening hours: ${hoursText(resource)}.`;
  }
  if (start < open.start || end > open.end) {
    const [from, to] = [localTime(open.start, zone).minutes, localTime(open.end, zone).minutes];
    return `${resource.name} is open ${clock(from)}–${
      clock(to)
    } that day; the booking must start and end within those hours (it asked for ${
      clock(local.minutes)
    }–${clock(localEnd.minutes)}).`;
  }
  return null;
}

/** `Mon–Fri 07:00–22:00, Sat 08:00–20:00, Sun closed`-style summary, day by day. */
export function hoursText(resource: Resource): string {
  return WEEKDAYS.map((d) => {
    const h = resource.hours[d];
    const name = d[0].toUpperCase() + d.slice(1);
    return h ? `${name} ${h[0]}–${h[1]}` : `${name} closed`;
  }).join(", ");
}

/** The free parts of `open` once `taken` (sorted or not) and everything before `notBefore` are removed. */
export function freeSpans(open: Span, taken: readonly Span[], notBefore: number): Span[] {
  const step = SLOT_MINUTES * MINUTE;
  let cursor = Math.max(open.start, Math.ceil(notBefore / step) * step);
  const spans: Span[] = [];
  for (const t of [...taken].sort((a, b) => a.start - b.start)) {
    if (t.end <= cursor) continue;
    if (t.start >= open.end) break;
    if (t.start > cursor) spans.push({ start: cursor, end: Math.min(t.start, open.end) });
    cursor = Math.max(cursor, t.end);
  }
  if (cursor < open.end) spans.push({ start: cursor, end: open.end });
  return spans;
}

/**
 * Bookable starts of `minutes` inside a free span: its first quarter hour, then every half hour on
 * the clock (:00 and :30), so a list of suggestions stays short and readable.
 */
export function startsWithin(span: Span, minutes: number): number[] {
  const length = minutes * MINUTE;
  const half = 30 * MINUTE;
  const starts: number[] = [];
  if (span.start + length <= span.end) starts.push(span.start);
  for (let t = Math.ceil((span.start + 1) / half) * half; t + length <= span.end; t += half) {
    starts.push(t);
  }
  return starts;
}
