/**
 * The desk's rules as code — venue clock, prices, cancellation, free times — and the words in
 * `seed/booking/rules.md` that must say the same.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  BOOKING_HORIZON_DAYS,
  bookingProblem,
  cancellationTerms,
  FREE_CANCELLATION_HOURS,
  freeSpans,
  LATE_CANCELLATION_FEE_PERCENT,
  MAX_BOOKING_MINUTES,
  MIN_BOOKING_MINUTES,
  PEAK,
  priceOf,
  startsWithin,
  WEEKEND_PERCENT,
} from "./policy.ts";
import { formatVenueTime, instantOf, localTime, parseVenueTime } from "./time.ts";
import { parseVenue, readVenue } from "./venue.ts";

const VENUE = await readVenue();

const ZONE = "Europe/Amsterdam";
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const garden = VENUE.resources.find((r) => r.id === "garden-room")!;
const lantern = VENUE.resources.find((r) => r.id === "lantern-room")!;
const kitchen = VENUE.resources.find((r) => r.id === "community-kitchen")!;

Deno.test("venue clock: local times in, offsets out, across daylight saving", async (t) => {
  await t.step("a time without offset is read on the venue's clock", () => {
    assertEquals(parseVenueTime("2030-01-15T10:00", ZONE), at("2030-01-15T09:00:00Z"));
    assertEquals(parseVenueTime("2030-07-15T10:00", ZONE), at("2030-07-15T08:00:00Z"));
    assertEquals(parseVenueTime("2030-07-15T10:00:00", ZONE), at("2030-07-15T08:00:00Z"));
  });
  await t.step("an explicit offset or Z is taken as given", () => {
    assertEquals(parseVenueTime("2030-07-15T10:00Z", ZONE), at("2030-07-15T10:00:00Z"));
    assertEquals(parseVenueTime("2030-07-15T10:00-04:00", ZONE), at("2030-07-15T14:00:00Z"));
  });
  await t.step("outputs carry the offset the day really has", () => {
    assertEquals(formatVenueTime(at("2030-01-15T09:00:00Z"), ZONE), "2030-01-15T10:00:00+01:00");
    assertEquals(formatVenueTime(at("2030-07-15T08:00:00Z"), ZONE), "2030-07-15T10:00:00+02:00");
    assertEquals(
      formatVenueTime(at("2030-07-15T08:00:00Z"), "America/New_York"),
      "2030-07-15T04:00:00-04:00",
    );
  });
  await t.step("the days of the clock changes have 23 and 25 hours", () => {
    // 2030: summer time starts 31 March, ends 27 October in the EU.
    assertEquals(instantOf("2030-04-01", 0, ZONE) - instantOf("2030-03-31", 0, ZONE), 23 * HOUR);
    assertEquals(instantOf("2030-10-28", 0, ZONE) - instantOf("2030-10-27", 0, ZONE), 25 * HOUR);
    assertEquals(
      formatVenueTime(instantOf("2030-03-31", 10 * 60, ZONE), ZONE),
      "2030-03-31T10:00:00+02:00",
    );
  });
  await t.step("nonsense and times in the spring-forward gap are not times", () => {
    for (
      const bad of [
        "2030-02-30T10:00",
        "2030-07-15 10:00",
        "2030-07-15T24:00",
        "tomorrow",
        "2030-03-31T02:30",
      ]
    ) {
      assertEquals(parseVenueTime(bad, ZONE), undefined, bad);
    }
  });
  await t.step("localTime gives the venue date, minutes and weekday", () => {
    const t = localTime(at("2030-07-14T22:30:00Z"), ZONE); // Monday 00:30 in Amsterdam
    assertEquals([t.date, t.minutes, t.isoWeekday, t.offsetMinutes], ["2030-07-15", 30, 1, 120]);
  });
});

Deno.test("prices: standard, weekday peak 17-21, weekend rate", async (t) => {
  // 2030-07-15 is a Monday, 2030-07-20 a Saturday.
  const local = (s: string) => parseVenueTime(s, ZONE)!;
  await t.step("a weekday morning hour costs the standard rate", () => {
    const p = priceOf(2000, local("2030-07-15T10:00"), local("2030-07-15T11:00"), ZONE);
    assertEquals(p, { totalCents: 2000, minutes: { standard: 60, peak: 0, weekend: 0 } });
  });
  await t.step("a booking across 17:00 pays peak only for the peak part", () => {
    const p = priceOf(2000, local("2030-07-15T16:30"), local("2030-07-15T17:30"), ZONE);
    assertEquals(p.totalCents, 1000 + 1500);
    assertEquals(p.minutes, { standard: 30, peak: 30, weekend: 0 });
  });
  await t.step("weekends pay the weekend rate all day, evenings included", () => {
    const p = priceOf(2000, local("2030-07-20T18:00"), local("2030-07-20T19:00"), ZONE);
    assertEquals(p.totalCents, 2500);
    assertEquals(p.minutes.weekend, 60);
  });
  await t.step("odd prices round once, at the end", () => {
    assertEquals(
      priceOf(1001, local("2030-07-15T17:00"), local("2030-07-15T17:45"), ZONE).totalCents,
      1126,
    );
  });
});

Deno.test("cancellation: free until 24 h before, then half, never after the start", () => {
  const start = at("2030-07-15T08:00:00Z");
  assertEquals(cancellationTerms(start, 3000, start - 25 * HOUR), {
    allowed: true,
    feeCents: 0,
    freeUntil: start - 24 * HOUR,
  });
  assertEquals(cancellationTerms(start, 3000, start - 24 * HOUR).allowed, true);
  assertEquals(
    (cancellationTerms(start, 3000, start - 24 * HOUR) as { feeCents: number }).feeCents,
    1500,
  );
  assertEquals(
    (cancellationTerms(start, 3001, start - 2 * HOUR) as { feeCents: number }).feeCents,
    1501,
  );
  assertEquals(cancellationTerms(start, 3000, start), { allowed: false, reason: "started" });
  assertEquals(cancellationTerms(start, 3000, start + HOUR).allowed, false);
});

Deno.test("booking problems say what to fix", async (t) => {
  const now = at("2030-07-10T12:00:00Z");
  const local = (s: string) => parseVenueTime(s, ZONE)!;
  const problem = (r = garden, start: string, end: string, partySize = 2) =>
    bookingProblem(r, { start: local(start), end: local(end), partySize }, now, ZONE);
  await t.step("a fitting request has none", () => {
    assertEquals(problem(garden, "2030-07-15T10:00", "2030-07-15T11:30"), null);
    assertEquals(problem(garden, "2030-07-15T21:00", "2030-07-15T22:00"), null);
  });
  await t.step("past closing, before opening, closed day", () => {
    assertStringIncludes(
      problem(garden, "2030-07-15T21:30", "2030-07-15T22:30")!,
      "open 07:00–22:00",
    );
    assertStringIncludes(
      problem(garden, "2030-07-20T07:00", "2030-07-20T08:00")!,
      "open 08:00–20:00",
    );
    assertStringIncludes(
      problem(kitchen, "2030-07-21T10:00", "2030-07-21T11:00")!,
      "closed on that day",
    );
  });
  await t.step("over capacity names the capacity", () => {
    assertStringIncludes(problem(lantern, "2030-07-15T10:00", "2030-07-15T11:00", 9)!, "at most 8");
  });
  await t.step("past, too far ahead, too short, too long, off the quarter hour", () => {
    assertStringIncludes(problem(garden, "2030-07-09T10:00", "2030-07-09T11:00")!, "in the past");
    assertStringIncludes(problem(garden, "2030-09-20T10:00", "2030-09-20T11:00")!, "60 days ahead");
    assertStringIncludes(problem(garden, "2030-07-15T10:00", "2030-07-15T10:15")!, "30 minutes");
    assertStringIncludes(problem(garden, "2030-07-15T08:00", "2030-07-15T12:15")!, "4 hours");
    assertStringIncludes(problem(garden, "2030-07-15T10:10", "2030-07-15T11:10")!, "quarter hour");
    assertStringIncludes(
      problem(garden, "2030-07-15T11:00", "2030-07-15T10:00")!,
      "after the start",
    );
  });
});

Deno.test("free times: opening hours minus reservations, on a half-hour grid", () => {
  const open = { start: at("2030-07-15T05:00:00Z"), end: at("2030-07-15T20:00:00Z") };
  const taken = [
    { start: at("2030-07-15T09:00:00Z"), end: at("2030-07-15T10:15:00Z") },
    { start: at("2030-07-15T06:00:00Z"), end: at("2030-07-15T07:00:00Z") },
  ];
  const spans = freeSpans(open, taken, at("2030-07-15T05:20:00Z"));
  assertEquals(spans.map((s) => [new Date(s.start).toISOString(), new Date(s.end).toISOString()]), [
    ["2030-07-15T05:30:00.000Z", "2030-07-15T06:00:00.000Z"],
    ["2030-07-15T07:00:00.000Z", "2030-07-15T09:00:00.000Z"],
    ["2030-07-15T10:15:00.000Z", "2030-07-15T20:00:00.000Z"],
  ]);
  const starts = startsWithin(spans[2], 60).slice(0, 3).map((s) => new Date(s).toISOString());
  assertEquals(starts, [
    "2030-07-15T10:15:00.000Z",
    "2030-07-15T10:30:00.000Z",
    "2030-07-15T11:00:00.000Z",
  ]);
  assertEquals(startsWithin(spans[0], 60), []);
});

Deno.test("seed: the venue parses, and bad seeds are refused naming the problem", () => {
  assertEquals(VENUE.resources.length, 8);
  assert(VENUE.resources.every((r) => r.hours.mon !== null));
  const broken = structuredClone(VENUE) as unknown as { resources: { hours: { mon: unknown } }[] };
  broken.resources[0].hours.mon = ["22:00", "08:00"];
  assertThrows(() => parseVenue(broken), Error, "resources.0.hours.mon");
  assertThrows(() => parseVenue({ ...VENUE, timeZone: "Mars/Olympus" }), Error, "timeZone");
  assertThrows(
    () => parseVenue({ ...VENUE, resources: [VENUE.resources[0], VENUE.resources[0]] }),
    Error,
    "duplicate",
  );
});

Deno.test("rules.md and persona.md state the rules the code applies", async () => {
  const dir = new URL("../../../seed/booking/", import.meta.url);
  const rules = await Deno.readTextFile(new URL("rules.md", dir));
  const persona = await Deno.readTextFile(new URL("persona.md", dir));
  const peak = `${PEAK.from / 60}:00 to ${PEAK.to / 60}:00`;
  for (
    const phrase of [
      `free until ${FREE_CANCELLATION_HOURS} hours before the start`,
      `costs ${LATE_CANCELLATION_FEE_PERCENT}% of the booking's price`,
      "can no longer be cancelled",
      peak,
      `${PEAK.percent}% of the standard rate`,
      `${WEEKEND_PERCENT}% of the standard rate`,
      `${BOOKING_HORIZON_DAYS} days ahead`,
      `from ${MIN_BOOKING_MINUTES} minutes to ${MAX_BOOKING_MINUTES / 60} hours`,
      VENUE.timeZone,
      "idempotency_key",
      "the skipped hour does not exist",
      "its first occurrence",
    ]
  ) {
    assertStringIncludes(rules, phrase);
  }
  for (
    const phrase of [
      `${PEAK.percent}%`,
      `${WEEKEND_PERCENT}%`,
      `${LATE_CANCELLATION_FEE_PERCENT}%`,
      "24 hours",
    ]
  ) {
    assertStringIncludes(persona, phrase);
  }
});
