/**
 * The development sign-in derives people under each pack's own label; the default pack's is the one
 * first shipped, so everyone who signed in to the Reading Room before still finds their saved state.
 *
 * @module
 */
import { assertEquals, assertNotEquals } from "@std/assert";
import { bookingPack } from "../../src/domains/booking/pack.ts";
import { readingRoomPack } from "../../src/domains/reading_room/pack.ts";
import { developmentPerson, developmentSubjectLabel } from "../../src/signin/authorize.ts";
import { hashSecret } from "../../src/signin/kv_records.ts";

Deno.test("development subjects: the Reading Room's as first shipped, each pack its own", async () => {
  assertEquals(developmentSubjectLabel(readingRoomPack.brand), "reading-room-dev:");
  const shipped = `dev-${(await hashSecret("reading-room-dev:alice")).slice(0, 24)}`;
  const reader = await developmentPerson("Alice", developmentSubjectLabel(readingRoomPack.brand));
  assertEquals(reader.sub, shipped);
  const member = await developmentPerson("Alice", developmentSubjectLabel(bookingPack.brand));
  assertNotEquals(member.sub, reader.sub);
});
