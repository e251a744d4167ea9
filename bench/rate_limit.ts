/**
 * `deno run -A bench/rate_limit.ts [--root DIR] [--rounds N]`: what the per-reader session-start
 * limiter costs `begin_session`'s KV work. 16 concurrent workers each start sessions back to back
 * through the real `createSessions` on a local KV file: once for 16 distinct readers, once all for
 * one reader, and once without a limiter. The limit is set out of reach, so every start is admitted
 * and written (the work measured is the admission itself, not refusals).
 *
 * `--root` points at another checkout's root (e.g. an extracted older commit), to compare the
 * limiter before and after a change on the same machine.
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    root: { type: "string", default: new URL("../", import.meta.url).pathname },
    rounds: { type: "string", default: "3" },
    starts: { type: "string", default: "1600" },
  },
});
const root = flags.root.endsWith("/") ? flags.root : `${flags.root}/`;
const ROUNDS = Number(flags.rounds);
const STARTS = Number(flags.starts);
const CONCURRENCY = 16;

type SessionsModule = typeof import("../src/session/sessions.ts");
type LimitModule = typeof import("../src/kv/rate_limit.ts");
type KvModule = typeof import("../src/kv/kv_handle.ts");
const { createSessions } = await import(`${root}src/session/sessions.ts`) as SessionsModule;
const { createRateLimiter } = await import(`${root}src/http/rate_limit.ts`) as LimitModule;
const { openKvHandle } = await import(`${root}src/kv/kv_handle.ts`) as KvModule;

const secret = new TextEncoder().encode("bench-secret-bench-secret-bench-secret");

/** Runs STARTS session starts with CONCURRENCY workers; returns starts per second and p99 ms. */
async function measure(mode: "distinct" | "one reader" | "no limiter") {
  const dir = await Deno.makeTempDir({ prefix: "rr-bench-limit-" });
  const kv = await openKvHandle(`${dir}/kv.sqlite3`);
  try {
    const sessions = createSessions({
      kv,
      secret,
      ttlSeconds: 600,
      startsPerPerson: mode === "no limiter" ? undefined : createRateLimiter(kv, {
        scope: "session-start",
        limit: 1_000_000_000,
        windowMs: 60_000,
      }),
    });
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
      const identity = { sub: mode === "one reader" ? "reader" : `reader-${worker}` };
      while (next++ < STARTS) {
        const t0 = performance.now();
        await sessions.begin(identity);
        latencies.push(performance.now() - t0);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      perSecond: Math.round(latencies.length / seconds),
      p50: latencies[Math.floor(latencies.length * 0.5)],
      p99: latencies[Math.floor(latencies.length * 0.99)],
    };
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

console.log(`root ${root}; ${STARTS} starts, ${CONCURRENCY} concurrent, ${ROUNDS} rounds`);
for (const mode of ["no limiter", "distinct", "one reader"] as const) {
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await measure(mode));
  const best = runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  console.log(
    `${mode.padEnd(11)} ${String(best.perSecond).padStart(6)} starts/s  ` +
      `p50 ${best.p50.toFixed(2)} ms  p99 ${best.p99.toFixed(2)} ms  ` +
      `(rounds: ${runs.map((r) => r.perSecond).join(", ")})`,
  );
}
