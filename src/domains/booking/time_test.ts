import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  dayLabel,
  formatVenueTime,
  instantOf,
  localTime,
  parseVenueTime,
  skippedTimeProblem,
} from "./time.ts";

Deno.test("dayLabel reads a date as texts show it", () => {
  assertEquals(dayLabel("2026-05-05"), "Tue 5 May");
  assertEquals(dayLabel("2026-12-31"), "Thu 31 Dec");
});

Deno.test("localTime reads the venue clock across a daylight-saving change, the second time too", () => {
  // Dublin goes from UTC+0 to UTC+1 at 01:00 UTC on 29 March 2026.
  const before = Date.UTC(2026, 2, 29, 0, 59, 30);
  const after = Date.UTC(2026, 2, 29, 1, 0, 10);
  for (let i = 0; i < 2; i++) {
    assertEquals(localTime(before, "Europe/Dublin"), {
      date: "2026-03-29",
      minutes: 59,
      isoWeekday: 7,
      offsetMinutes: 0,
    });
    assertEquals(localTime(after, "Europe/Dublin"), {
      date: "2026-03-29",
      minutes: 120,
      isoWeekday: 7,
      offsetMinutes: 60,
    });
  }
  // A reading handed out is the caller's: changing it changes no later one.
  const reading = localTime(after, "Europe/Dublin");
  reading.minutes = 0;
  assertEquals(localTime(after, "Europe/Dublin").minutes, 120);
});

Deno.test("a time the clocks skip going forward is refused with the times either side", async (t) => {
  await t.step("Amsterdam, 29 March 2026: 02:00 straight to 03:00", () => {
    assertEquals(parseVenueTime("2026-03-29T02:30", "Europe/Amsterdam"), undefined);
    assertEquals(
      skippedTimeProblem("2026-03-29T02:30", "Europe/Amsterdam", 15),
      "2026-03-29T02:30 does not exist on the venue's clock (Europe/Amsterdam): on 2026-03-29 " +
        "the clocks go forward from 02:00 straight to 03:00 (UTC+01:00 to UTC+02:00), so it " +
        "never shows 02:00 to 02:59. The nearest times that exist, on 15-minute steps, are " +
        "2026-03-29T01:45 and 2026-03-29T03:00.",
    );
    for (const text of ["2026-03-29T02:00", "2026-03-29T02:59:30"]) {
      assertStringIncludes(skippedTimeProblem(text, "Europe/Amsterdam", 15)!, "does not exist");
    }
  });
  await t.step("the step decides the nearest times named", () => {
    assertStringIncludes(
      skippedTimeProblem("2026-03-29T02:30", "Europe/Amsterdam", 30)!,
      "are 2026-03-29T01:30 and 2026-03-29T03:00.",
    );
  });
  await t.step("a gap at midnight names the evening before", () => {
    // Santiago goes from UTC-4 to UTC-3 at local midnight on 6 September 2026.
    const problem = skippedTimeProblem("2026-09-06T00:30", "America/Santiago", 15)!;
    assertStringIncludes(problem, "from 00:00 straight to 01:00 (UTC-04:00 to UTC-03:00)");
    assertStringIncludes(problem, "are 2026-09-05T23:45 and 2026-09-06T01:00.");
  });
  await t.step("a gap of half an hour (Lord Howe Island)", () => {
    assertStringIncludes(
      skippedTimeProblem("2026-10-04T02:15", "Australia/Lord_Howe", 15)!,
      "from 02:00 straight to 02:30 (UTC+10:30 to UTC+11:00)",
    );
  });
  await t.step("times that exist, times with an offset and non-times are not skipped", () => {
    for (
      const text of [
        "2026-03-29T01:59",
        "2026-03-29T03:00",
        "2026-10-25T02:30", // shown twice, not skipped
        "2026-03-29T02:30+01:00",
        "2026-07-15T10:00",
        "2026-02-30T02:30",
        "tomorrow",
      ]
    ) {
      assertEquals(skippedTimeProblem(text, "Europe/Amsterdam", 15), undefined, text);
    }
  });
});

Deno.test("a time the clocks go back over is its first occurrence, east and west of UTC", () => {
  // Amsterdam shows 02:00–02:59 twice on 25 October 2026, New York 01:00–01:59 on 1 November.
  const read = (text: string, zone: string) => formatVenueTime(parseVenueTime(text, zone)!, zone);
  assertEquals(read("2026-10-25T02:30", "Europe/Amsterdam"), "2026-10-25T02:30:00+02:00");
  assertEquals(read("2026-11-01T01:30", "America/New_York"), "2026-11-01T01:30:00-04:00");
  // The second occurrence is reached with its offset.
  assertEquals(
    read("2026-10-25T02:30+01:00", "Europe/Amsterdam"),
    "2026-10-25T02:30:00+01:00",
  );
  // instantOf, which opening hours and search ranges use, follows the same rule, and moves a
  // skipped time forward by the gap, on the same day.
  assertEquals(
    formatVenueTime(instantOf("2026-03-29", 150, "Europe/Amsterdam"), "Europe/Amsterdam"),
    "2026-03-29T03:30:00+02:00",
  );
  assertEquals(
    formatVenueTime(instantOf("2026-09-06", 30, "America/Santiago"), "America/Santiago"),
    "2026-09-06T01:30:00-03:00",
  );
});
