import { assertEquals } from "@std/assert";
import { type Readiness, sharedReadiness } from "../../src/health/readiness.ts";

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
