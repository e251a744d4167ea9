/**
 * The booking desk through the real MCP client, on both backends: one person's
 * whole round (search, `domain_book`, list, get, `domain_cancel`), privacy between people, 50 people
 * racing for one slot, idempotent retries, refusals that say what to fix, the late-cancellation
 * fee, and `begin_session` listing what is coming up.
 * Times are relative to now, so the tests do not depend on the date.
 *
 * @module
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { REFUSED_PREFIX } from "../../pack/mod.ts";
import {
  BACKENDS,
  type Chat,
  type ChatAnswer,
  type PackTestServer,
  startPackServer,
} from "../../pack/testing.ts";
import { bookingPack } from "./pack.ts";
import { createBookingStore } from "./store.ts";
import { addDays, localTime, parseVenueTime } from "./time.ts";
import { readVenue } from "./venue.ts";

const VENUE = await readVenue();
const ZONE = VENUE.timeZone;
const HOUR = 3_600_000;

/** Venue-local date `days` from today. */
function day(days: number): string {
  return addDays(localTime(Date.now(), ZONE).date, days);
}

/** A weekday (Mon–Fri) at least `days` from today, on the venue's clock. */
function weekday(days: number): string {
  let date = day(days);
  while (new Date(`${date}T12:00:00Z`).getUTCDay() % 6 === 0) date = addDays(date, 1);
  return date;
}

interface Person {
  chat: Chat;
  session: string;
  call(name: string, args?: Record<string, unknown>): Promise<ChatAnswer>;
}

async function person(server: PackTestServer, sub: string): Promise<Person> {
  const chat = await server.chat(sub);
  const { session } = await chat.begin();
  return { chat, session, call: (name, args = {}) => chat.call(name, { ...args, session }) };
}

function key(): string {
  return `test-${crypto.randomUUID()}`;
}

function book(who: Person, args: Record<string, unknown>): Promise<ChatAnswer> {
  return who.call("domain_book", { party_size: 2, idempotency_key: key(), ...args });
}

function refusedWith(result: ChatAnswer, ...phrases: string[]): void {
  assert(result.isError, `not refused: ${result.text}`);
  assertStringIncludes(result.text, REFUSED_PREFIX);
  for (const phrase of phrases) assertStringIncludes(result.text, phrase);
  assertEquals(result.data, undefined);
}

async function runDesk(t: Deno.TestContext, server: PackTestServer, label: string): Promise<void> {
  const people: Person[] = [];
  const join = async (name: string) => {
    const p = await person(server, `${name}-${label}`);
    people.push(p);
    return p;
  };
  const ann = await join("ann");
  const bo = await join("bo");

  try {
    let annBooking = "";
    await t.step("search → book → list → get → cancel, for one person", async () => {
      const date = day(3);
      const found = await ann.call("domain_search", {
        date,
        resource_id: "garden-room",
        party_size: 6,
        earliest: "10:00",
        duration_minutes: 90,
      });
      assert(!found.isError, found.text);
      const slot = found.data.results[0];
      assertEquals(slot.resourceId, "garden-room");
      assertMatch(slot.start, new RegExp(`^${date}T10:00:00[+-]\\d{2}:\\d{2}$`));
      assertEquals(Date.parse(slot.end) - Date.parse(slot.start), 90 * 60_000);

      const booked = await book(ann, {
        resource_id: slot.resourceId,
        start: slot.start,
        end: slot.end,
        party_size: 6,
        note: "Book group",
      });
      assert(!booked.isError, booked.text);
      assertEquals(booked.data.outcome, "booked");
      const r = booked.data.reservation;
      assertEquals([r.start, r.end, r.priceCents, r.status], [
        slot.start,
        slot.end,
        slot.priceCents,
        "active",
      ]);
      assertEquals(r.cancellation.feeIfCancelledNowCents, 0);
      assertStringIncludes(booked.text, "Free to cancel until");
      annBooking = r.id;

      const listed = await ann.call("domain_list_reservations");
      assertEquals(listed.data.reservations.map((x: { id: string }) => x.id), [r.id]);

      const got = await ann.call("domain_get_item", { id: r.id });
      assert(!got.isError, got.text);
      assertEquals(got.data.reservation.note, "Book group");

      const again = await ann.call("domain_search", {
        date,
        resource_id: "garden-room",
        earliest: "10:00",
        duration_minutes: 90,
      });
      assert(again.data.results[0].start !== slot.start, "the booked time is still offered");

      const cancelled = await ann.call("domain_cancel", { reservation_id: r.id });
      assert(!cancelled.isError, cancelled.text);
      assertEquals([cancelled.data.outcome, cancelled.data.feeCents], ["cancelled", 0]);
      assertEquals(cancelled.data.reservation.status, "cancelled");
      assertStringIncludes(cancelled.text, "No fee");
      assertEquals((await ann.call("domain_list_reservations")).data.reservations, []);
      const history = await ann.call("domain_list_reservations", { include_cancelled: true });
      assertEquals(history.data.reservations.length, 1);
      // Again, by id or by the key it was booked with: nothing changes, and it says so.
      for (const again of [{ reservation_id: r.id }, { idempotency_key: r.idempotencyKey }]) {
        const twice = await ann.call("domain_cancel", again);
        assert(!twice.isError, twice.text);
        assertEquals([twice.data.outcome, twice.data.feeCents], ["already_cancelled", 0]);
        assertEquals(twice.data.reservation.cancelledAt, cancelled.data.reservation.cancelledAt);
        assertStringIncludes(twice.text, "already cancelled");
        assertStringIncludes(twice.text, "nothing changed");
      }
      // Book and cancel are two tools, each with its own strict arguments: a mix is refused.
      refusedWith(
        await ann.call("domain_cancel", { reservation_id: r.id, resource_id: "garden-room" }),
        "resource_id",
      );
      refusedWith(
        await ann.call("domain_cancel", { type: "cancel", reservation_id: r.id }),
        "type",
      );
      refusedWith(
        await ann.call("domain_cancel", {
          reservation_id: r.id,
          idempotency_key: r.idempotencyKey,
        }),
        "not both",
      );
      refusedWith(await ann.call("domain_cancel", {}), "reservation_id");
      refusedWith(
        await ann.call("domain_cancel", { idempotency_key: "never-used-key" }),
        'no reservation of yours was booked with idempotency_key "never-used-key"',
      );
      const freeAgain = await ann.call("domain_search", {
        date,
        resource_id: "garden-room",
        earliest: "10:00",
        duration_minutes: 90,
      });
      assertEquals(freeAgain.data.results[0].start, slot.start);
    });

    await t.step("every search answer advises under guidance, empty ones too", async () => {
      const date = day(3);
      const full = await ann.call("domain_search", { date, kind: "meeting_room" });
      assert(full.data.results.length > 0, full.text);
      assertStringIncludes(full.data.guidance.join("\n"), "then book with domain_book");
      const empties: [Record<string, unknown>, string][] = [
        [{ date, resource_id: "no-such-room" }, "Search without resource_id"],
        [{ date, kind: "meeting_room", party_size: 9_000 }, "Loosen one of them"],
        [{ date, resource_id: "garden-room", earliest: "23:00" }, "Try another day"],
      ];
      for (const [args, advice] of empties) {
        const empty = await ann.call("domain_search", args);
        assert(!empty.isError, empty.text);
        assertEquals(empty.data.results, []);
        assertEquals(Object.hasOwn(empty.data, "hint"), false, "advice under a second key");
        assertEquals(empty.data.guidance.length, 1, JSON.stringify(empty.data));
        assertStringIncludes(empty.data.guidance[0], advice);
        assertStringIncludes(empty.text, empty.data.guidance[0]);
      }
    });

    await t.step("another person cannot see, get or cancel it", async () => {
      const date = day(3);
      const booked = await book(ann, {
        resource_id: "lantern-room",
        start: `${date}T09:00`,
        end: `${date}T10:00`,
      });
      assert(!booked.isError, booked.text);
      annBooking = booked.data.reservation.id;
      assertEquals(
        (await bo.call("domain_list_reservations", { include_past: true, include_cancelled: true }))
          .data.reservations,
        [],
      );
      refusedWith(
        await bo.call("domain_get_item", { id: annBooking }),
        "no resource or reservation of yours",
      );
      refusedWith(
        await bo.call("domain_cancel", { reservation_id: annBooking }),
        "no resource or reservation of yours",
      );
      // Keys are per person: another person's key names nothing of theirs.
      refusedWith(
        await bo.call("domain_cancel", {
          idempotency_key: booked.data.reservation.idempotencyKey,
        }),
        "no reservation of yours",
      );
      const still = await ann.call("domain_get_item", { id: annBooking });
      assertEquals(still.data.reservation.status, "active");
    });

    await t.step("a new chat's begin_session shows the upcoming reservation", async () => {
      const chat = await server.chat(`ann-${label}`);
      try {
        const { result } = await chat.begin();
        const upcoming = result.data.domain.upcoming as { id: string; start: string }[];
        assertEquals(upcoming.map((x) => x.id), [annBooking]);
        assertMatch(upcoming[0].start, /[+-]\d{2}:\d{2}$/);
        assertStringIncludes(result.text, annBooking);
        assertStringIncludes(result.text, "Lantern Room");
      } finally {
        await chat[Symbol.asyncDispose]();
      }
    });

    await t.step(
      "50 people booking the same slot at once: one reservation, 49 clear refusals",
      async () => {
        const crowd = await Promise.all(
          Array.from({ length: 50 }, (_, i) => person(server, `crowd-${i}-${label}`)),
        );
        people.push(...crowd);
        const date = day(4);
        const started = performance.now();
        const results = await Promise.all(
          crowd.map((p) =>
            book(p, { resource_id: "practice-room", start: `${date}T10:00`, end: `${date}T11:00` })
          ),
        );
        const ms = Math.round(performance.now() - started);
        const won = results.filter((r) => !r.isError);
        const lost = results.filter((r) => r.isError);
        assertEquals(won.length, 1, won.map((r) => r.text).join("\n"));
        assertEquals(lost.length, 49);
        for (const r of lost) {
          refusedWith(r, "that time was just taken", "Next free times", "11:00");
        }
        console.log(
          `${label}: 50 concurrent bookings of one slot settled in ${ms} ms (1 booked, 49 refused)`,
        );
        const lists = await Promise.all(crowd.map((p) => p.call("domain_list_reservations")));
        assertEquals(
          lists.filter((l) => l.data.reservations.length === 1).length,
          1,
        );
      },
    );

    await t.step("the same idempotency key twice: one reservation", async () => {
      const date = day(5);
      const args = {
        resource_id: "mirror-studio",
        start: `${date}T10:00`,
        end: `${date}T11:00`,
        idempotency_key: key(),
      };
      const first = await book(bo, args);
      assert(!first.isError, first.text);
      const second = await book(bo, args);
      assert(!second.isError, second.text);
      assertEquals(second.data.outcome, "already_booked");
      assertEquals(second.data.reservation.id, first.data.reservation.id);
      // The same instant written with an offset is the same booking.
      const sameInstant = await book(bo, {
        ...args,
        start: second.data.reservation.start,
        end: second.data.reservation.end,
      });
      assertEquals(sameInstant.data.reservation.id, first.data.reservation.id);
      // Retries racing each other.
      const racing = await Promise.all(Array.from({ length: 5 }, () =>
        book(bo, {
          ...args,
          start: `${date}T12:00`,
          end: `${date}T13:00`,
          idempotency_key: "racing-retries-1",
        })));
      assert(racing.every((r) => !r.isError), racing.map((r) => r.text).join("\n"));
      assertEquals(new Set(racing.map((r) => r.data.reservation.id)).size, 1);
      const listed = await bo.call("domain_list_reservations");
      assertEquals(listed.data.reservations.length, 2);
      refusedWith(
        await book(bo, { ...args, start: `${date}T15:00`, end: `${date}T16:00` }),
        "already booked",
        "Use a new key",
      );
    });

    await t.step(
      "refused with what to fix: past closing, over capacity, in the past, overlapping, no key",
      async () => {
        const date = weekday(6);
        refusedWith(
          await book(ann, {
            resource_id: "garden-room",
            start: `${date}T21:30`,
            end: `${date}T22:30`,
          }),
          "open 07:00–22:00",
        );
        refusedWith(
          await book(ann, {
            resource_id: "lantern-room",
            start: `${date}T10:00`,
            end: `${date}T11:00`,
            party_size: 9,
          }),
          "holds at most 8",
        );
        const yesterday = day(-1);
        refusedWith(
          await book(ann, {
            resource_id: "garden-room",
            start: `${yesterday}T10:00`,
            end: `${yesterday}T11:00`,
          }),
          "in the past",
        );
        const mine = await book(ann, {
          resource_id: "court-a",
          start: `${date}T18:00`,
          end: `${date}T19:00`,
        });
        assert(!mine.isError, mine.text);
        assertEquals(mine.data.reservation.priceCents, 2100, "peak rate: 150% of 14.00");
        refusedWith(
          await book(bo, { resource_id: "court-a", start: `${date}T18:30`, end: `${date}T19:30` }),
          "that time was just taken",
          "Next free times",
        );
        refusedWith(
          await ann.call("domain_book", {
            resource_id: "court-a",
            start: `${date}T20:00`,
            end: `${date}T21:00`,
            party_size: 2,
          }),
          "idempotency_key",
        );
        refusedWith(
          await book(ann, { resource_id: "court-a", start: "next tuesday", end: `${date}T21:00` }),
          "2030-05-04T18:30",
        );
        // A time the venue's clock skips (Amsterdam, spring forward) is refused as such, before
        // any date check, naming the nearest times that exist.
        refusedWith(
          await book(ann, {
            resource_id: "court-a",
            start: "2026-03-29T02:30",
            end: "2026-03-29T03:30",
          }),
          "the start time 2026-03-29T02:30 does not exist on the venue's clock (Europe/Amsterdam)",
          "the clocks go forward from 02:00 straight to 03:00",
          "2026-03-29T01:45 and 2026-03-29T03:00",
        );
        refusedWith(
          await book(ann, {
            resource_id: "no-such-room",
            start: `${date}T20:00`,
            end: `${date}T21:00`,
          }),
          "no resource",
        );
        const far = day(62);
        refusedWith(
          await book(ann, { resource_id: "court-a", start: `${far}T10:00`, end: `${far}T11:00` }),
          "60 days ahead",
        );
      },
    );

    await t.step("cancel inside the 24 h window: the fee from the rules", async () => {
      // The first free hour that starts between 45 minutes and 23 hours from now, on any resource.
      const now = Date.now();
      const found = await ann.call("domain_search", { date: day(0), days: 2, limit: 50 });
      const slot = found.data.results.find((s: { start: string }) =>
        Date.parse(s.start) > now + 0.75 * HOUR && Date.parse(s.start) < now + 23 * HOUR
      );
      assert(slot, `no free hour within a day: ${found.text}`);
      const booked = await book(ann, {
        resource_id: slot.resourceId,
        start: slot.start,
        end: slot.end,
      });
      assert(!booked.isError, booked.text);
      const price = booked.data.reservation.priceCents;
      assertEquals(
        booked.data.reservation.cancellation.feeIfCancelledNowCents,
        Math.round(price / 2),
      );
      assertStringIncludes(booked.text, "Cancelling now costs");
      // By the key it was booked with, as after a booking whose answer was lost.
      const cancelled = await ann.call("domain_cancel", {
        idempotency_key: booked.data.reservation.idempotencyKey,
      });
      assert(!cancelled.isError, cancelled.text);
      assertEquals(cancelled.data.feeCents, Math.round(price / 2));
      assertEquals(cancelled.data.reservation.feeCents, Math.round(price / 2));
      assertStringIncludes(cancelled.text, "Cancellation fee");
    });

    await t.step("the database itself refuses what the tools would not send", async () => {
      // Straight to the store, past the checks in the tool: the constraint and the transaction's
      // own conditions still hold.
      const store = createBookingStore(server.sql, VENUE);
      const sub = `ann-${label}`;
      const date = weekday(7);
      const at = (hhmm: string) => parseVenueTime(`${date}T${hhmm}`, ZONE)!;
      const request = (start: string, end: string, partySize = 2) => ({
        resourceId: "sports-barn",
        start: at(start),
        end: at(end),
        partySize,
        note: null,
        idempotencyKey: key(),
        priceCents: 100,
      });
      assertEquals((await store.book(sub, request("10:00", "11:00"), ZONE)).outcome, "booked");
      assertEquals((await store.book(sub, request("10:45", "11:15"), ZONE)).outcome, "taken");
      assertEquals(
        (await store.book(sub, request("21:30", "22:30"), ZONE)).outcome,
        "not_bookable",
      );
      assertEquals(
        (await store.book(sub, request("06:00", "07:30"), ZONE)).outcome,
        "not_bookable",
      );
      assertEquals(
        (await store.book(sub, request("12:00", "13:00", 15), ZONE)).outcome,
        "not_bookable",
      );
      const past = {
        ...request("10:00", "11:00"),
        start: Date.now() - HOUR * 24 * 2,
        end: Date.now() - HOUR * 24 * 2 + HOUR,
      };
      past.start -= past.start % 900_000;
      past.end -= past.end % 900_000;
      assertEquals((await store.book(sub, past, ZONE)).outcome, "not_bookable");
      assertEquals(
        (await store.book(sub, request("11:00", "12:00"), ZONE)).outcome,
        "booked",
        "back to back is fine",
      );
    });
  } finally {
    for (const p of people) await p.chat[Symbol.asyncDispose]();
  }
}

for (const backend of BACKENDS) {
  Deno.test(`booking desk: ${backend}`, async (t) => {
    await using server = await startPackServer(bookingPack, { backend });
    await runDesk(t, server, backend);
  });
}
