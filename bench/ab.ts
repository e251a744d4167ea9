/**
 * Two configurations of this build side by side, interleaved so the machine's drift hits both:
 * `deno run -A bench/ab.ts '<extra env as JSON>' [TOOL] [ROUNDS] [DENO FLAGS…]` (defaults
 * `domain_get_item`, 6; the flags go to the second connector's `deno run`).
 * Starts two connectors on one PostgreSQL backend — the second with the extra environment (for
 * example `{"DENO_V8_FLAGS":"--max-semi-space-size=2"}`) — then runs 3 s of wrk at 16 connections
 * against each in turn, eras alternating, and prints req/s and CPU µs per call with their medians.
 * To compare code changes, put the change behind an environment variable for the run. With the
 * tool `book`, each turn is the booking line (`lib/booking.ts`: distinct slots at 16 connections,
 * a fresh database per turn) instead; with `cold`, each turn is one cold start (`lib/cold.ts`), and
 * the numbers are ms to the first `health` and to the first `begin_session`. To compare against
 * an earlier commit, check it out elsewhere (with its packages installed) and pass
 * `--config <there>/deno.json <there>/main.ts` as the flags: the variant then runs that code.
 *
 * @module
 */
import { createTestDatabase } from "../tests/helpers/postgres.ts";
import { benchBooking } from "./lib/booking.ts";
import { coldStart } from "./lib/cold.ts";
import { argumentsFor, type Backend, openBackend, startConnector } from "./lib/connector.ts";
import { ERAS } from "./lib/mcp.ts";
import { wrk } from "./lib/wrk.ts";

const extraEnv = JSON.parse(Deno.args[0] ?? "{}") as Record<string, string>;
const tool = Deno.args[1] ?? "domain_get_item";
const rounds = Number(Deno.args[2] ?? 6);
const denoFlags = Deno.args.slice(3);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

type Arm = "base" | "variant";
type Seen = Record<Arm, { rps: number[]; cpu: number[] }>;

/** Each round: the booking line on each arm, a fresh database each turn. */
async function bookingRounds(backend: Backend, seen: Seen): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const [name, env] of [["base", {}], ["variant", extraEnv]] as const) {
      await using db = await createTestDatabase();
      const load = await benchBooking(backend, db.url, 3, env);
      seen[name].rps.push(load.requestsPerSecond);
      seen[name].cpu.push(load.cpuUsPerCall ?? 0);
    }
  }
}

/** Each round: one cold start of each arm (ms to health in `rps`, to begin_session in `cpu`). */
async function coldRounds(backend: Backend, seen: Seen): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const [name, env] of [["base", {}], ["variant", extraEnv]] as const) {
      const cold = await coldStart(
        backend,
        18_500 + round * 2 + (name === "base" ? 0 : 1),
        `ab-${round}`,
        env,
      );
      seen[name].rps.push(cold.toHealthMs);
      seen[name].cpu.push(cold.toBeginSessionMs);
    }
  }
}

/** Each round: 3 s of `tool` on each arm's connector, eras alternating. */
async function toolRounds(backend: Backend, seen: Seen): Promise<void> {
  const base = await startConnector(backend);
  const variant = await startConnector(backend, { extraEnv, denoFlags });
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, connector] of [["base", base], ["variant", variant]] as const) {
        const session = connector.session;
        const args = argumentsFor(tool, session);
        const load = await wrk(
          connector.mcpUrl,
          connector.request(ERAS[round % ERAS.length], tool, args),
          16,
          3,
          { serverPid: connector.pid },
        );
        seen[name].rps.push(load.requestsPerSecond);
        seen[name].cpu.push(load.cpuUsPerCall ?? 0);
      }
    }
  } finally {
    await base.stop();
    await variant.stop();
  }
}

const seen: Seen = { base: { rps: [], cpu: [] }, variant: { rps: [], cpu: [] } };
{
  await using backend = await openBackend("postgres");
  await (tool === "book"
    ? bookingRounds(backend, seen)
    : tool === "cold"
    ? coldRounds(backend, seen)
    : toolRounds(backend, seen));
}
const [first, second] = tool === "cold"
  ? ["ms to health", "ms to begin_session"]
  : ["req/s", "CPU µs/call"];
for (const [name, { rps, cpu }] of Object.entries(seen)) {
  console.log(
    `${name.padEnd(7)} ${first} ${rps.join(" ")} (median ${median(rps)}); ` +
      `${second} ${cpu.join(" ")} (median ${median(cpu)})`,
  );
}
