/**
 * What the booking desk keeps about a person: their reservations in `user_export`, all gone after
 * `user_forget`, on both backends; and the database holding the limit of upcoming reservations.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { BACKENDS, exampleOf, startPackServer } from "../../pack/testing.ts";
import { bookingPack } from "./pack.ts";

for (const backend of BACKENDS) {
  Deno.test(`booking on ${backend}: user_export holds the reservations; user_forget removes them`, async () => {
    await using server = await startPackServer(bookingPack, { backend });
    const sub = `booking-memory-${crypto.randomUUID()}`;
    await using chat = await server.chat(sub);
    const { session } = await chat.begin();
    const booked = await chat.call("domain_book", {
      ...exampleOf(bookingPack, "domain_book"),
      session,
    });
    assert(!booked.isError, booked.text);

    const exported = await chat.call("user_export", { session });
    assert(!exported.isError, exported.text);
    const reservations = exported.data.export.domain.reservations;
    assertEquals(reservations.length, 1);
    assertEquals(reservations[0].resourceId, "garden-room");
    assertEquals(reservations[0].status, "active");
    const [latest] = (await chat.call("user_get_history", { session })).data.entries;
    assertEquals(latest.tool, "domain_book");

    const first = await chat.call("user_forget", { session });
    assertEquals(first.data.willDelete.domain, ["reservations"]);
    const done = await chat.call("user_forget", {
      session,
      confirmation: first.data.confirmation.code,
    });
    assert(!done.isError, done.text);
    assertEquals(await server.rowsMentioning(sub), {});
  });
}

Deno.test("booking: one member may hold at most 20 upcoming reservations, even when asking in parallel", async () => {
  // 24 at once for one member: more than a person may have open by default (8), so raised here;
  // this is about the database holding the limit.
  await using server = await startPackServer(bookingPack, {
    env: { MCP_MAX_OPEN_PER_PERSON: "64" },
  });
  await using chat = await server.chat(`booking-limit-${crypto.randomUUID()}`);
  const { session } = await chat.begin();
  const day = (exampleOf(bookingPack, "domain_book") as { start: string }).start.slice(0, 10);
  // 24 one-hour bookings of four spaces open from 08:00, all asked for at once.
  const asks = Array.from({ length: 24 }, (_, i) => {
    const resource = ["garden-room", "lantern-room", "practice-room", "court-a"][i % 4];
    const hour = String(8 + Math.floor(i / 4)).padStart(2, "0");
    return chat.call("domain_book", {
      session,
      resource_id: resource,
      start: `${day}T${hour}:00`,
      end: `${day}T${hour}:30`,
      party_size: 2,
      idempotency_key: `limit-key-${i}`,
    });
  });
  const results = await Promise.all(asks);
  const booked = results.filter((r) => !r.isError);
  const refused = results.filter((r) => r.isError && r.text.includes("20 upcoming reservations"));
  assertEquals(booked.length, 20, results.filter((r) => r.isError).map((r) => r.text).join("\n"));
  assertEquals(refused.length, 4);
});
