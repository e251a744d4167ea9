import { assert, assertEquals } from "@std/assert";
import { type Readiness, readinessCheck, sharedReadiness } from "./readiness.ts";
import { openKvHandle } from "../kv/kv_handle.ts";

const READY: Readiness = { ready: true, checks: { database: "ok", kv: "ok" } };

Deno.test("sharedReadiness: probes arriving together share one check", async (t) => {
  let runs = 0;
  let release = () => {};
  const check = () => {
    runs++;
    return new Promise<Readiness>((resolve) => (release = () => resolve(READY)));
  };
  let clock = 0;
  await t.step("a burst while one check runs costs one check", async () => {
    const shared = sharedReadiness(check, 0, () => clock);
    const burst = Array.from({ length: 100 }, () => shared());
    assertEquals(runs, 1);
    release();
    assertEquals((await Promise.all(burst)).every((r) => r.ready), true);
    shared();
    assertEquals(runs, 2, "with no reuse window, the next probe checks afresh");
    release();
  });
  await t.step("within the reuse window the last answer is reused", async () => {
    runs = 0;
    const shared = sharedReadiness(check, 1_000, () => clock);
    const first = shared();
    release();
    await first;
    clock += 999;
    await shared();
    assertEquals(runs, 1);
    clock += 1;
    const again = shared();
    assertEquals(runs, 2);
    release();
    await again;
  });
});

Deno.test("readinessCheck writes to KV at most once per interval while writes succeed", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvHandle(`${dir}/kv.sqlite3`, { timeoutMs: 1_000 });
  const database = { ping: () => Promise.resolve() };
  let clock = 0;
  try {
    const check = readinessCheck({ database, kv }, { timeoutMs: 1_000, now: () => clock });
    const stamp = async () => (await (await kv.get()).get(["readiness"])).versionstamp;
    assertEquals((await check()).ready, true);
    const first = await stamp();
    for (let i = 0; i < 50; i++) {
      clock += 10;
      assertEquals((await check()).ready, true);
    }
    assertEquals(await stamp(), first, "a burst of probes wrote to KV");
    clock += 2_000;
    await check();
    assert((await stamp()) !== first, "the next interval writes again");
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
