import { assertEquals } from "@std/assert";
import { dayLabel, localTime } from "./time.ts";

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
