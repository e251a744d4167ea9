/**
 * `deno task bench [--label NAME] [--duration SECONDS] [--store postgres|neon|pglite|all] [--rounds N]`:
 * the headline first (`headline.ts`: the kit's `user_get_profile` beside the SDK v1 peer and a
 * hand-written floor, per-person and fresh tokens, with the targets), then the connector beside the
 * limit and the SDK echo in one run on one machine. `--headline` runs the headline alone.
 *
 *   (a) limit — a bare Hono JSON route, same process shape;
 *   (b) peer  — the MCP SDK's stateless echo server, as its documentation builds it;
 *   (c) us    — authenticated Reading Room calls: `domain_get_item` (one article), `domain_search`
 *               (full-text search for a word several seeded articles match), `user_save_state` (a
 *               small merge patch on one reader's saved state) and `begin_session`; each on every
 *               store `--store` selects (default postgres and pglite): `postgres` — the local
 *               PostgreSQL over TCP (`pg`) —, `neon` — the same through the Neon driver and a
 *               WebSocket relay process — and `pglite`, the default embedded store (PGlite in a
 *               worker under DATA_DIR). On `postgres` only: cold start, and the booking pack's
 *               `domain_book` at 16 connections, each request a distinct slot (a write
 *               transaction each).
 *
 * Each at 1 and 16 connections, both protocol eras (2025-11-25 stateless fallback, 2026-07-28),
 * measured by wrk in its own process (`--duration` seconds each): req/s, p50/p99 and the server
 * process's CPU µs per call (from /proc/<pid>/stat around the run). Every answer of (b) and (c) is
 * checked by wrk for tool and JSON-RPC errors (counted with HTTP and socket errors). The targets of
 * (c) run `--rounds` times (default 3) for the RSS after each round, per store; the first round's
 * numbers are the rows. The headline is the ratios: every (c) target on every store over (b) in the
 * same era and connections, for req/s and for CPU µs per call. Prints a table and writes JSON and
 * Markdown to bench/results/.
 *
 * `deno task bench --soak [--soak-minutes 5] [--soak-rate 50] [--store pglite|postgres]` runs only
 * the soak instead (see `soak.ts`); its store defaults to pglite. `deno task bench --cold` runs
 * only five cold starts on PostgreSQL and prints them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createTestDatabase } from "../tests/helpers/postgres.ts";
import { benchBooking } from "./lib/booking.ts";
import { type ColdStart, coldStart } from "./lib/cold.ts";
import {
  type Backend,
  type Connector,
  openBackend,
  readersLua,
  signInReaders,
  startConnector,
  type Store,
  STORES,
  US_TARGETS,
} from "./lib/connector.ts";
import { ERAS, once, toolCall } from "./lib/mcp.ts";
import { type Rss, rssOf, spawn } from "./lib/proc.ts";
import { machine, machineMarkdown, writeResults } from "./lib/report.ts";
import { type Load, requireWrk, wrk } from "./lib/wrk.ts";
import { runSoak } from "./soak.ts";
import { headlineMarkdown, type HeadlineResult, runHeadline } from "./headline.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    label: { type: "string" },
    duration: { type: "string", default: "5" },
    store: { type: "string" },
    rounds: { type: "string", default: "3" },
    soak: { type: "boolean", default: false },
    cold: { type: "boolean", default: false },
    headline: { type: "boolean", default: false },
    "soak-minutes": { type: "string", default: "5" },
    "soak-rate": { type: "string", default: "50" },
  },
});
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = [1, 16];

/** The stores `--store` selects (unset: postgres and pglite; for the soak, pglite, and only one). */
function selectedStores(): Store[] {
  const store = flags.store ?? (flags.soak ? "pglite" : "default");
  if (store === "default" && !flags.soak) return ["postgres", "pglite"];
  if (store === "all" && !flags.soak) return [...STORES];
  if (!(STORES as readonly string[]).includes(store)) {
    console.error(
      `--store must be postgres, neon or pglite${
        flags.soak ? " with --soak" : ", or all"
      } (got ${store})`,
    );
    Deno.exit(2);
  }
  return [store as Store];
}

// ---------------------------------------------------------------------------------------------
// Rows

/** One measured line: a target on a store, in an era, at a number of connections. */
interface Row extends Load {
  target: string;
  /** `postgres`, `pglite`, or `-` for the limit and the peer. */
  store: string;
  era: string;
  connections: number;
}

const US = "c: us, ";

/** Records a row and prints it. */
function logRow(rows: Row[], row: Row): void {
  rows.push(row);
  console.log(
    `${row.target.padEnd(30)} ${row.store.padEnd(8)} ${row.era.padEnd(5)} ` +
      `c=${String(row.connections).padEnd(3)} ` +
      `${String(row.requestsPerSecond).padStart(7)} req/s  ` +
      `p50 ${row.p50Ms.toFixed(2).padStart(7)} ms  p99 ${row.p99Ms.toFixed(2).padStart(7)} ms  ` +
      `errors ${row.errors}  CPU ${row.cpuUsPerCall ?? "?"} µs/call`,
  );
}

// ---------------------------------------------------------------------------------------------
// (a) the limit and (b) the peer

async function benchLimit(rows: Row[]): Promise<void> {
  const bare = await spawn(["run", "-A", "bench/servers/bare_hono.ts"], {}, /listening on (\S+)/);
  try {
    const request = toolCall("2025", "echo", { message: "hi" });
    for (const c of CONNECTIONS) {
      const load = await wrk(`${bare.match[1]}/mcp`, request, c, DURATION, {
        serverPid: bare.child.pid,
      });
      logRow(rows, { target: "a: bare Hono route", store: "-", era: "-", connections: c, ...load });
    }
  } finally {
    await bare.stop();
  }
}

/** Measures the peer; returns its RSS after the load. */
async function benchPeer(rows: Row[]): Promise<Rss> {
  const peer = await spawn(["run", "-A", "bench/servers/sdk_echo.ts"], {}, /listening on (\S+)/);
  try {
    for (const era of ERAS) {
      const request = toolCall(era, "echo", { message: "hi" });
      const answer = await once(`${peer.match[1]}/`, request);
      if (answer.result?.content?.[0]?.text !== "hi") {
        throw new Error(`peer answered ${JSON.stringify(answer)}`);
      }
      for (const c of CONNECTIONS) {
        const load = await wrk(`${peer.match[1]}/`, request, c, DURATION, {
          serverPid: peer.child.pid,
          countToolErrors: true,
        });
        logRow(rows, { target: "b: SDK echo (no auth)", store: "-", era, connections: c, ...load });
      }
    }
    const memory = rssOf(peer.child.pid);
    console.log(`peer after its load: RSS ${memory.rssMb} MB (peak ${memory.peakMb} MB)`);
    return memory;
  } finally {
    await peer.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// (c) us

/**
 * RSS of the connector after a load round on a store (round 0: before any load); `idle`: 20 s
 * after the last round, once V8 has had the quiet it waits for before giving memory back.
 */
interface MemorySample extends Rss {
  store: Store;
  round: number;
  idle?: boolean;
}

/** How long the connector is left alone after its last round before RSS is read again. */
const IDLE_AFTER_LOAD_MS = 20_000;

/**
 * Every target, era and connection count, `ROUNDS` times, on one connector on `backend`; rows from
 * the first round. Each request is checked once per round before wrk repeats it.
 */
async function benchUs(backend: Backend, rows: Row[]): Promise<MemorySample[]> {
  const { store } = backend;
  const us = await startConnector(backend);
  try {
    const memory: MemorySample[] = [{ store, round: 0, ...rssOf(us.pid) }];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const era of ERAS) {
        const requests = US_TARGETS.map((t) => us.request(era, t.tool, t.args(us.session)));
        for (const [i, t] of US_TARGETS.entries()) t.check(await once(us.mcpUrl, requests[i]));
        for (const c of CONNECTIONS) {
          for (const [i, t] of US_TARGETS.entries()) {
            const load = await wrk(us.mcpUrl, requests[i], c, DURATION, {
              serverPid: us.pid,
              countToolErrors: true,
            });
            if (round === 1) {
              logRow(rows, { target: `${US}${t.tool}`, store, era, connections: c, ...load });
            }
          }
        }
      }
      if (round === 1) await benchSpreadSaves(backend, us, rows);
      memory.push({ store, round, ...rssOf(us.pid) });
      const { rssMb, peakMb } = memory.at(-1)!;
      console.log(`${store}, after load round ${round}: RSS ${rssMb} MB (peak ${peakMb} MB)`);
    }
    await new Promise((resolve) => setTimeout(resolve, IDLE_AFTER_LOAD_MS));
    memory.push({ store, round: ROUNDS, idle: true, ...rssOf(us.pid) });
    console.log(
      `${store}, ${IDLE_AFTER_LOAD_MS / 1000} s idle after: RSS ${memory.at(-1)!.rssMb} MB`,
    );
    return memory;
  } finally {
    await us.stop();
  }
}

/** Readers the spread save line rotates through. */
const SPREAD_READERS = 100;

/**
 * \`user_save_state\` at 16 connections with every request from the next of 100 readers: the
 * server's write capacity, where the plain line measures one person's saves queueing on their row.
 */
async function benchSpreadSaves(backend: Backend, us: Connector, rows: Row[]): Promise<void> {
  const readers = await signInReaders(backend, us, SPREAD_READERS);
  for (const era of ERAS) {
    const template = toolCall(era, "user_save_state", {
      session: "%s",
      patch: { bench: { note: "steady", pages: 12 } },
    });
    template.headers.authorization = readers[0].auth;
    const load = await wrk(us.mcpUrl, template, 16, DURATION, {
      serverPid: us.pid,
      countToolErrors: true,
      extraLua: readersLua(readers, template.body),
    });
    const target = `${US}user_save_state, ${SPREAD_READERS} readers`;
    logRow(rows, { target, store: backend.store, era, connections: 16, ...load });
  }
}

/** Process start → first authenticated tool answers (health, then begin_session). */
/**
 * `runs` cold starts on `backend`, each on a fixed port of its own (the first on a fresh database:
 * it also creates the schema and copies the pack's content).
 */
async function coldStarts(backend: Backend, runs = 3): Promise<ColdStart[]> {
  const cold: ColdStart[] = [];
  for (let i = 0; i < runs; i++) cold.push(await coldStart(backend, 18_400 + i, `cold-${i}`));
  console.log(
    `cold start (${runs} runs): ${
      cold.map((c) => `health ${c.toHealthMs} ms / begin_session ${c.toBeginSessionMs} ms`)
        .join("; ")
    }`,
  );
  return cold;
}

// ---------------------------------------------------------------------------------------------
// Ratios

/** A (c) target on a store over the peer (and the limit) in the same era and connections. */
interface Ratio {
  tool: string;
  store: string;
  era: string;
  connections: number;
  /** req/s, us / peer. */
  usOverPeer: number;
  /** CPU µs per call, us / peer (how many times the server's CPU work of an echo); null if unknown. */
  cpuUsOverPeer: number | null;
  /** req/s, us / limit. */
  usOverLimit: number;
}

function ratios(rows: Row[]): Ratio[] {
  const find = (prefix: string, era: string, c: number) =>
    rows.find((r) => r.target.startsWith(prefix) && r.era === era && r.connections === c)!;
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  return rows.filter((r) => r.target.startsWith(US) && r.store !== "-" && r.era !== "-")
    .filter((r) => find("b:", r.era, r.connections))
    .map((ours) => {
      const peer = find("b:", ours.era, ours.connections);
      const limit = find("a:", "-", ours.connections);
      return {
        tool: ours.target.slice(US.length),
        store: ours.store,
        era: ours.era,
        connections: ours.connections,
        usOverPeer: round(ours.requestsPerSecond / peer.requestsPerSecond, 2),
        cpuUsOverPeer: ours.cpuUsPerCall === null || !peer.cpuUsPerCall
          ? null
          : round(ours.cpuUsPerCall / peer.cpuUsPerCall, 2),
        usOverLimit: round(ours.requestsPerSecond / limit.requestsPerSecond, 3),
      };
    });
}

function printRatios(list: Ratio[]): void {
  for (const r of list) {
    console.log(
      `ratio ${r.tool.padEnd(16)} ${r.store.padEnd(8)} ${r.era} c=${
        String(r.connections).padEnd(3)
      }` +
        ` req/s us/peer ${r.usOverPeer}×  CPU/call us/peer ${r.cpuUsOverPeer ?? "?"}×  ` +
        `us/limit ${r.usOverLimit}×`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The run

/** Everything a run records. */
interface Result {
  label: string;
  startedAt: string;
  durationPerMeasurementSeconds: number;
  stores: Store[];
  machine: Record<string, unknown>;
  ratios: Ratio[];
  rows: Row[];
  coldStart: ColdStart[];
  memory: MemorySample[];
  peerMemory: Rss;
  headline: HeadlineResult;
}

async function main(): Promise<void> {
  await requireWrk();
  const started = new Date();
  const stores = selectedStores();
  const headline = await headlineRun();
  const rows: Row[] = [];
  await benchLimit(rows);
  const peerMemory = await benchPeer(rows);
  const memory: MemorySample[] = [];
  let coldStart: ColdStart[] = [];
  for (const store of stores) {
    await using backend = await openBackend(store);
    if (store === "postgres") coldStart = await coldStarts(backend);
    memory.push(...await benchUs(backend, rows));
    if (store === "postgres") {
      await using bookingDb = await createTestDatabase();
      const load = await benchBooking(backend, bookingDb.url, DURATION);
      const target = `${US}domain_book`;
      logRow(rows, { target, store, era: "2025", connections: 16, ...load });
    }
  }
  const ratioList = ratios(rows);
  printRatios(ratioList);
  const result: Result = {
    label: flags.label ?? "run",
    startedAt: started.toISOString(),
    durationPerMeasurementSeconds: DURATION,
    stores,
    machine: await machine(),
    ratios: ratioList,
    rows,
    coldStart,
    memory,
    peerMemory,
    headline,
  };
  await writeResults(started, result.label, result, markdown(result));
}

/** The headline with this run's duration and rounds, printed as it ends. */
async function headlineRun(): Promise<HeadlineResult> {
  const headline = await runHeadline({ duration: DURATION, rounds: ROUNDS });
  console.log(["", "## Headline", "", ...headlineMarkdown(headline), ""].join("\n"));
  return headline;
}

function markdown(r: Result): string {
  const booking = r.rows.some((x) => x.target.includes("domain_book"));
  return [
    `# Benchmark ${r.label} — ${r.startedAt}`,
    "",
    ...machineMarkdown(r.machine),
    `Stores: ${r.stores.join(", ")}. ${r.durationPerMeasurementSeconds} s per measurement.`,
    "",
    "## Headline: the whole job beside the peers",
    "",
    ...headlineMarkdown(r.headline),
    "",
    "## Ratios: us / peer (SDK echo), same era and connections",
    "",
    "| tool | store | era | conns | req/s us/peer | CPU µs/call us/peer | req/s us/limit |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ...r.ratios.map((x) =>
      `| ${x.tool} | ${x.store} | ${x.era} | ${x.connections} | ${x.usOverPeer}× | ${
        x.cpuUsOverPeer ?? "?"
      }× | ${x.usOverLimit}× |`
    ),
    "",
    "## Measurements",
    "",
    "| target | store | era | conns | req/s | p50 ms | p99 ms | errors | CPU µs/call |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.rows.map((x) =>
      `| ${x.target} | ${x.store} | ${x.era} | ${x.connections} | ${x.requestsPerSecond} | ${x.p50Ms} | ${x.p99Ms} | ${x.errors} | ${
        x.cpuUsPerCall ?? "?"
      } |`
    ),
    "",
    r.coldStart.length === 0
      ? "Cold start: not measured (PostgreSQL only)."
      : `Cold start on PostgreSQL (process start → first authenticated answer): ${
        r.coldStart.map((c) => `health ${c.toHealthMs} ms, begin_session ${c.toBeginSessionMs} ms`)
          .join("; ")
      }.`,
    ...(booking ? [] : ["", "Booking line: not measured (PostgreSQL only)."]),
    "",
    ...r.stores.map((store) =>
      `RSS after load rounds, ${store}: ${
        r.memory.filter((x) => x.store === store)
          .map((x) =>
            `${
              x.idle ? `${IDLE_AFTER_LOAD_MS / 1000} s idle after` : `round ${x.round}`
            }: ${x.rssMb} MB (peak ${x.peakMb})`
          ).join("; ")
      }.`
    ),
    `Peer after its load: ${r.peerMemory.rssMb} MB (peak ${r.peerMemory.peakMb}).`,
    "",
  ].join("\n");
}

if (flags.soak) {
  await runSoak({
    store: selectedStores()[0],
    minutes: Number(flags["soak-minutes"]),
    rate: Number(flags["soak-rate"]),
    label: flags.label ?? "soak",
  });
} else if (flags.headline) {
  const started = new Date();
  const headline = await headlineRun();
  const m = await machine();
  await writeResults(
    started,
    flags.label ?? "headline",
    { machine: m, headline },
    [
      `# Headline ${flags.label ?? ""} — ${started.toISOString()}`,
      "",
      ...machineMarkdown(m),
      "",
      ...headlineMarkdown(headline),
      "",
    ].join("\n"),
  );
} else if (flags.cold) {
  // Cold starts alone (PostgreSQL), for working on start-up: printed, not written.
  await using backend = await openBackend("postgres");
  await coldStarts(backend, 5);
} else {
  await main();
}
