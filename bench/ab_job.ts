/**
 * This build against another checkout on the whole job, interleaved:
 * `deno run -A --config deno.test.json bench/ab_job.ts <CHECKOUT> [ROUNDS] [--cold] [--this-first]` (default 6
 * rounds). `<CHECKOUT>` is another working tree of this repository with its packages installed
 * (`git worktree add /tmp/base <commit>`, then `deno install` there). Both connectors run on one
 * PostgreSQL database over TCP; each round gives each arm 4 s of wrk at 16 connections of
 * `user_get_profile` (2025-11-25), first with 64 people's own tokens cycled, then with a fresh
 * token per call (as in `headline.ts`), the arms' order turning each round. With `--cold`, each
 * round is instead one cold start per arm (ms to the first authenticated answer). Prints each
 * round and the medians. The arm started second has been measured faster even against the same
 * code (by ≈ 15 % in req/s on this 2-core machine): run once more with `--this-first` and take both.
 *
 * @module
 */
import { coldStart } from "./lib/cold.ts";
import {
  type Caller,
  callersLua,
  type Connector,
  openBackend,
  signInReaders,
  startConnector,
  writeCallers,
} from "./lib/connector.ts";
import { toolCall } from "./lib/mcp.ts";
import { percentile } from "./lib/report.ts";
import { wrk } from "./lib/wrk.ts";

const [checkout, roundsArg] = Deno.args.filter((a) => !a.startsWith("--"));
if (!checkout) {
  console.error("usage: bench/ab_job.ts <CHECKOUT> [ROUNDS] [--cold]");
  Deno.exit(2);
}
const rounds = Number(roundsArg ?? 6);
const base = checkout.replace(/\/$/, "");
const baseArgs = ["--config", `${base}/deno.json`, `${base}/main.ts`];
const ARMS = ["base", "this"] as const;

await using backend = await openBackend("postgres");
if (Deno.args.includes("--cold")) {
  const ms: Record<string, number[]> = { base: [], this: [] };
  for (let round = 0; round < rounds; round++) {
    for (const arm of round % 2 ? [...ARMS].reverse() : ARMS) {
      const args = arm === "base" ? ["run", "-A", ...baseArgs] : undefined;
      const cold = await coldStart(
        backend,
        18_700 + round * 2 + (arm === "base" ? 0 : 1),
        `c${round}`,
        {},
        args,
      );
      ms[arm].push(cold.toHealthMs);
      console.log(`round ${round + 1} ${arm.padEnd(4)} ${cold.toHealthMs} ms`);
    }
  }
  for (const arm of ARMS) console.log(`${arm}: median ${percentile(ms[arm], 50)} ms`);
} else {
  const arms: Record<string, { us: Connector; people: string; fresh: string }> = {};
  // The arm started second has been measured faster even against the same code (an A/A run:
  // ≈ 15 % more req/s); `--this-first` starts this build first, so two runs bracket the effect.
  for (const arm of Deno.args.includes("--this-first") ? [...ARMS].reverse() : ARMS) {
    const us = await startConnector(backend, { denoFlags: arm === "base" ? baseArgs : [] });
    const readers = await signInReaders(backend, us, 64);
    const fresh: Caller[] = [];
    for (let first = 0; first < 30_000; first += 500) {
      fresh.push(
        ...await Promise.all(Array.from({ length: 500 }, async (_, i) => {
          const person = (first + i) % 64;
          const token = await backend.tokenFor(us.publicUrl, `bench-reader-${person}`);
          return { auth: `Bearer ${token}`, session: readers[person].session };
        })),
      );
    }
    arms[arm] = { us, people: await writeCallers(readers), fresh: await writeCallers(fresh) };
  }
  const body = toolCall("2025", "user_get_profile", { session: "%s" }).body;
  const request = toolCall("2025", "user_get_profile", {});
  const next: Record<string, number> = {};
  const seen: Record<string, { rps: number[]; cpu: number[]; p99: number[] }> = {};
  const load = async (arm: string, tokens: "people" | "fresh", seconds: number) => {
    const key = `${arm}/${tokens}`;
    const { us } = arms[arm];
    const result = await wrk(us.mcpUrl, request, 16, seconds, {
      serverPid: us.pid,
      countToolErrors: true,
      extraLua: callersLua(arms[arm][tokens], body, next[key] ?? 0),
    });
    next[key] = (next[key] ?? 0) + result.requests;
    if (result.errors > 0) throw new Error(`${key}: ${result.errors} errors`);
    return result;
  };
  for (const arm of ARMS) {
    for (const tokens of ["people", "fresh"] as const) await load(arm, tokens, 3);
  }
  for (let round = 0; round < rounds; round++) {
    for (const tokens of ["people", "fresh"] as const) {
      for (const arm of round % 2 ? [...ARMS].reverse() : ARMS) {
        const r = await load(arm, tokens, 4);
        const key = `${arm}/${tokens}`;
        seen[key] ??= { rps: [], cpu: [], p99: [] };
        seen[key].rps.push(r.requestsPerSecond);
        seen[key].cpu.push(r.cpuUsPerCall ?? NaN);
        seen[key].p99.push(r.p99Ms);
        console.log(
          `round ${round + 1} ${arm.padEnd(4)} ${tokens.padEnd(6)} ${r.requestsPerSecond} req/s  ` +
            `${r.cpuUsPerCall} µs CPU/call  p99 ${r.p99Ms} ms`,
        );
      }
    }
  }
  for (const [key, s] of Object.entries(seen)) {
    console.log(
      `${key.padEnd(12)} median ${percentile(s.rps, 50)} req/s  ${
        percentile(s.cpu, 50)
      } µs CPU/call  p99 ${percentile(s.p99, 50)} ms`,
    );
  }
  for (const arm of ARMS) {
    await arms[arm].us.stop();
    await Deno.remove(arms[arm].people);
    await Deno.remove(arms[arm].fresh);
  }
}
