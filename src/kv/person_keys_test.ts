/**
 * The per-person index forgetting walks: records written with it are all found; records written
 * before it existed get their entries once, at start; nobody else's records are touched.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { backfillPersonIndex, deletePersonRecords, indexForPerson } from "./person_keys.ts";
import { SESSION_PERSON_RECORDS } from "../session/sessions.ts";
import { signinKeys } from "../signin/kv_keys.ts";
import { SIGNIN_PERSON_RECORDS } from "../signin/person_records.ts";

async function withKv(work: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const kv = await Deno.openKv(`${dir}/kv.sqlite3`);
  try {
    await work(kv);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function keys(kv: Deno.Kv): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of kv.list({ prefix: [] })) found.push(JSON.stringify(entry.key));
  return found.sort();
}

const later = () => Date.now() + 3_600_000;

Deno.test("forgetting deletes every indexed record of the person and nothing else", async () => {
  await withKv(async (kv) => {
    for (const sub of ["ann", "bob", "ann-2"]) {
      const op = kv.atomic();
      for (const key of [["session", `s-${sub}`], signinKeys.tokenFamily(`f-${sub}`)]) {
        op.set(key, { sub, expiresAt: later() });
        indexForPerson(op, sub, key);
      }
      await op.commit();
    }
    assertEquals(await deletePersonRecords(kv, "ann"), 2);
    const left = await keys(kv);
    assertEquals(left.filter((k) => k.includes('"s-ann"') || k.includes('"f-ann"')), []);
    assertEquals(left.filter((k) => k.includes("bob")).length, 4, "bob's records and index stay");
    assertEquals(
      left.filter((k) => k.includes("ann-2")).length,
      4,
      "a longer sub is another person",
    );
  });
});

Deno.test("records from before the index get their entries once, so forgetting finds them", async () => {
  await withKv(async (kv) => {
    // As an older server wrote them: no index entries.
    await kv.set(signinKeys.tokenFamily("fam-1"), {
      sub: "old",
      email: "old@x",
      expiresAt: later(),
    });
    await kv.set(signinKeys.refreshToken("hash-1"), { familyId: "fam-1", expiresAt: later() });
    await kv.set(signinKeys.authorizationCode("code-1"), { sub: "old", expiresAt: later() });
    await kv.set(signinKeys.pendingRequest("req-1"), {
      person: { sub: "old" },
      expiresAt: later(),
    });
    await kv.set(signinKeys.pendingRequest("req-2"), { expiresAt: later() });
    await kv.set(["session", "sid-1"], { sub: "old", expiresAt: later() });
    await kv.set(["session", "sid-2"], { sub: "other", expiresAt: later() });
    await kv.set(signinKeys.tokenFamily("fam-gone"), { sub: "old", expiresAt: Date.now() - 1 });

    const kinds = [SESSION_PERSON_RECORDS, ...SIGNIN_PERSON_RECORDS];
    await backfillPersonIndex(kv, kinds);
    assertEquals(await deletePersonRecords(kv, "old"), 5);
    const left = await keys(kv);
    assertEquals(left.filter((k) => k.includes('"old"')), []);
    for (const kept of ['"req-2"', '"sid-2"', '"fam-gone"']) {
      assertEquals(left.some((k) => k.includes(kept)), true, `${kept} is not theirs or is expired`);
    }
    // Once done, never again: a record written without an entry later is not picked up.
    await kv.set(["session", "sid-3"], { sub: "late", expiresAt: later() });
    await backfillPersonIndex(kv, kinds);
    assertEquals(await deletePersonRecords(kv, "late"), 0);
  });
});
