/**
 * Wall-clock time at the venue: reading times people give (with or without an offset), writing
 * times back with the venue's offset, and venue-local dates. Built on `Intl` (Deno ships the time
 * zone data), so a date across a daylight-saving change gets the offset that day really has.
 *
 * @module
 */

const MINUTE = 60_000;
const DAY_MS = 86_400_000;

/** ISO weekday names, Monday first (index 0 is ISO weekday 1). */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** A venue-local weekday key. */
export type Weekday = typeof WEEKDAYS[number];

/** An instant seen on the venue's clock. */
export interface LocalTime {
  /** `YYYY-MM-DD` at the venue. */
  date: string;
  /** Minutes since local midnight, 0–1439. */
  minutes: number;
  /** 1 (Monday) … 7 (Sunday). */
  isoWeekday: number;
  /** Offset from UTC at that instant, in minutes east. */
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is a time zone this runtime knows. */
export function isKnownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Readings already made, by zone and minute (a reading depends on nothing finer): a booking reads
 * the same few instants several times over, and each fresh reading formats a date. Bounded; emptied
 * when full.
 */
const readings = new Map<string, LocalTime>();
const READINGS_KEPT = 10_000;

/** How the instant `ms` reads on the clock of `zone`. */
export function localTime(ms: number, zone: string): LocalTime {
  const key = `${zone}|${Math.floor(ms / MINUTE)}`;
  const known = readings.get(key);
  if (known) return { ...known };
  const reading = readClock(ms, zone);
  if (readings.size >= READINGS_KEPT) readings.clear();
  readings.set(key, reading);
  return { ...reading };
}

function readClock(ms: number, zone: string): LocalTime {
  const parts = formatter(zone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  const offsetMinutes = Math.round((wall - Math.floor(ms / MINUTE) * MINUTE) / MINUTE);
  const date = new Date(wall).toISOString().slice(0, 10);
  const isoWeekday = ((new Date(wall).getUTCDay() + 6) % 7) + 1;
  return { date, minutes: get("hour") * 60 + get("minute"), isoWeekday, offsetMinutes };
}

/**
 * The offsets of `zone` a day before and a day after `wall` (a wall-clock reading written as if it
 * were UTC): any instant that shows that reading lies between the two, and where they differ a
 * daylight-saving change lies between them too (changes are months apart).
 */
function offsetsAround(wall: number, zone: string): [before: number, after: number] {
  return [
    localTime(wall - DAY_MS, zone).offsetMinutes,
    localTime(wall + DAY_MS, zone).offsetMinutes,
  ];
}

/**
 * The instant at which the clock of `zone` shows `date` at `minutes` past midnight. Near a
 * daylight-saving change the reading is taken with the offset in force before the change, so the
 * rule is the same east and west of UTC (RFC 5545's, and Temporal's `"compatible"`): a time the
 * clocks go back over (shown twice) is its first occurrence, and a time they skip going forward
 * comes out moved forward by the gap (02:30 in a 02:00→03:00 gap is 03:30).
 */
export function instantOf(date: string, minutes: number, zone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * MINUTE;
  const [before, after] = offsetsAround(wall, zone);
  const first = wall - before * MINUTE;
  if (before === after || localTime(first, zone).offsetMinutes === before) return first;
  const second = wall - after * MINUTE;
  return localTime(second, zone).offsetMinutes === after ? second : first;
}

/** `2026-05-04T18:30:00+02:00`: the instant on the venue's clock, with the offset it has there. */
export function formatVenueTime(ms: number, zone: string): string {
  const { offsetMinutes } = localTime(ms, zone);
  const wall = new Date(ms + offsetMinutes * MINUTE).toISOString().slice(0, 19);
  return `${wall}${offsetText(offsetMinutes)}`;
}

/**
 * Why a local time is refused when the clock of `zone` never shows it, or `undefined` if it does
 * (or has an offset, or is no time at all). The clocks going forward skip a stretch of wall-clock
 * time; the answer names that stretch and the nearest times either side of it on `stepMinutes`
 * steps, so the caller can offer one instead of guessing.
 *
 * @example
 * ```ts
 * import { skippedTimeProblem } from "./time.ts";
 * skippedTimeProblem("2026-03-29T02:30", "Europe/Amsterdam", 15);
 * // "2026-03-29T02:30 does not exist on the venue's clock (Europe/Amsterdam): … The nearest
 * // times that exist, on 15-minute steps, are 2026-03-29T01:45 and 2026-03-29T03:00."
 * ```
 */
export function skippedTimeProblem(
  text: string,
  zone: string,
  stepMinutes: number,
): string | undefined {
  const m = TIME_PATTERN.exec(text);
  if (!m || m[5] !== undefined) return undefined;
  const [, date, hh, mm] = m;
  if (!isRealDate(date) || Number(hh) > 23 || Number(mm) > 59) return undefined;
  const wall = Date.parse(`${date}T${hh}:${mm}:00Z`);
  const [before, after] = offsetsAround(wall, zone);
  if (after <= before) return undefined; // no change forward nearby: every reading exists
  const shows = (offset: number) =>
    localTime(wall - offset * MINUTE, zone).offsetMinutes === offset;
  if (shows(before) || shows(after)) return undefined;
  // The first minute on the new offset: a day either side holds it.
  let lo = (wall - DAY_MS) / MINUTE;
  let hi = (wall + DAY_MS) / MINUTE;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localTime(mid * MINUTE, zone).offsetMinutes === before) lo = mid;
    else hi = mid;
  }
  const gapFrom = hi * MINUTE + before * MINUTE;
  const gapTo = hi * MINUTE + after * MINUTE;
  const step = stepMinutes * MINUTE;
  const earlier = Math.floor((gapFrom - MINUTE) / step) * step;
  const later = Math.ceil(gapTo / step) * step;
  const wallText = (w: number) => new Date(w).toISOString().slice(0, 16);
  const clockOf = (w: number) => wallText(w).slice(11);
  return `${date}T${hh}:${mm} does not exist on the venue's clock (${zone}): on ${
    wallText(gapFrom).slice(0, 10)
  } the clocks go forward from ${clockOf(gapFrom)} straight to ${clockOf(gapTo)} (UTC${
    offsetText(before)
  } to UTC${offsetText(after)}), so it never shows ${clockOf(gapFrom)} to ${
    clockOf(gapTo - MINUTE)
  }. The nearest times that exist, on ${stepMinutes}-minute steps, are ${wallText(earlier)} and ${
    wallText(later)
  }.`;
}

/** `+02:00` from minutes east of UTC. */
function offsetText(offsetMinutes: number): string {
  const abs = Math.abs(offsetMinutes);
  return `${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `18:30` from minutes since midnight. */
export function clock(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** Minutes since midnight from `HH:MM`. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Made once: `toLocaleDateString` with options builds a formatter on every call. */
const DAY_LABEL = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});

/** `Tue 5 May` for texts. */
export function dayLabel(date: string): string {
  return DAY_LABEL.format(new Date(`${date}T12:00:00Z`));
}

/** `YYYY-MM-DD` that is a real calendar date. */
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z` or `±HH:MM`. */
export const TIME_PATTERN =
  /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/;

/** Whether `date` is `YYYY-MM-DD` and exists. */
export function isRealDate(date: string): boolean {
  if (!DATE_PATTERN.test(date)) return false;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === date;
}

/**
 * Reads a time a person or model gave: with an offset it is that instant; without one it is read
 * on the venue's clock, and a time the clocks go back over (shown twice) is its first occurrence,
 * as {@linkcode instantOf} reads it. Returns `undefined` for anything else, including a local time
 * that does not exist on that clock (a daylight-saving gap: {@linkcode skippedTimeProblem} says
 * why).
 */
export function parseVenueTime(text: string, zone: string): number | undefined {
  const m = TIME_PATTERN.exec(text);
  if (!m) return undefined;
  const [, date, hh, mm, ss, offset] = m;
  const [h, min, s] = [Number(hh), Number(mm), Number(ss ?? "0")];
  if (!isRealDate(date) || h > 23 || min > 59 || s > 59) return undefined;
  if (offset !== undefined) {
    const ms = Date.parse(`${date}T${hh}:${mm}:${ss ?? "00"}${offset}`);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const minutes = h * 60 + min;
  const instant = instantOf(date, minutes, zone) + s * 1000;
  const back = localTime(instant, zone);
  return back.date === date && back.minutes === minutes ? instant : undefined;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
