/**
 * The soak: one connector under a steady, modest load for minutes, watching its memory.
 *
 *     deno task bench --soak [--soak-minutes 5] [--soak-rate 50] [--store pglite|postgres] [--label NAME]
 *
 * Starts the connector (embedded PGlite unless `--store postgres`), then sends requests at a fixed
 * rate from this process with `fetch` (open loop: each request is sent on its schedule whether or
 * not earlier ones have been answered, at most 256 in flight). The mix, both eras alternating: 7 in
 * 10 `domain_get_item`, 1 each `domain_search`, `user_save_state` and `begin_session` (whose new
 * session the following calls use). The server's VmRSS is sampled every 10 s. Reports max and last
 * RSS, errors (HTTP or network, tool or JSON-RPC errors, requests dropped at the in-flight cap),
 * the achieved rate, p50/p99 latency and the server's CPU µs per call; writes JSON and Markdown to
 * bench/results/.
 *
 * @module
 */
import {
  type Connector,
  openBackend,
  startConnector,
  type Store,
  usTarget,
} from "./lib/connector.ts";
import { ERAS, once } from "./lib/mcp.ts";
import { cpuTicks, cpuUsPerCall, rssOf } from "./lib/proc.ts";
import { machine, machineMarkdown, percentile, writeResults } from "./lib/report.ts";

/** What {@linkcode runSoak} is asked to do. */
export interface SoakOptions {
  store: Store;
  minutes: number;
  /** Requests per second. */
  rate: number;
  label: string;
}

/** The tools in one cycle of the mix (both eras take turns within it). */
const MIX = [
  "domain_get_item",
  "domain_get_item",
  "domain_search",
  "domain_get_item",
  "user_save_state",
  "domain_get_item",
  "domain_get_item",
  "begin_session",
  "domain_get_item",
  "domain_get_item",
];

/** Requests in flight beyond which a due request is dropped (counted as an error). */
const MAX_IN_FLIGHT = 256;

/** How often the server's RSS is sampled. */
const RSS_EVERY_MS = 10_000;

/** A soak's tallies as it runs. */
interface Tally {
  latenciesMs: number[];
  byTool: Record<string, { calls: number; errors: number }>;
  errors: { http: number; tool: number; dropped: number };
  /** The first few error messages, for the report. */
  examples: string[];
}

/** Runs the soak and writes its report. */
export async function runSoak(options: SoakOptions): Promise<void> {
  const started = new Date();
  console.log(
    `soak: ${options.minutes} min at ${options.rate} req/s on ${options.store} (label ${options.label})`,
  );
  await using backend = await openBackend(options.store);
  const tokenTtlSeconds = Math.ceil(options.minutes * 60) + 3600;
  // The access token outlives the soak; sessions are renewed by the mix's begin_session calls.
  const server = await startConnector(backend, { tokenTtlSeconds });
  try {
    const rss = [{ atSeconds: 0, ...rssOf(server.pid) }];
    const t0 = performance.now();
    const sampler = setInterval(() => {
      rss.push({ atSeconds: Math.round((performance.now() - t0) / 1000), ...rssOf(server.pid) });
      const last = rss.at(-1)!;
      console.log(`  ${last.atSeconds} s: RSS ${last.rssMb} MB (peak ${last.peakMb} MB)`);
    }, RSS_EVERY_MS);
    const ticksBefore = cpuTicks(server.pid);
    let tally: Tally;
    try {
      tally = await drive(server, options);
    } finally {
      clearInterval(sampler);
    }
    const elapsedSeconds = (performance.now() - t0) / 1000;
    const ticks = cpuTicks(server.pid) - ticksBefore;
    rss.push({ atSeconds: Math.round(elapsedSeconds), ...rssOf(server.pid) });
    const result = summarise(options, started, tally, rss, elapsedSeconds, ticks);
    printSummary(result);
    const report = { ...result, machine: await machine() };
    await writeResults(started, options.label, report, soakMarkdown(report));
  } finally {
    await server.stop();
  }
}

/** Sends the mix at the fixed rate for the soak's minutes; resolves when every answer is in. */
async function drive(server: Connector, options: SoakOptions): Promise<Tally> {
  const tally: Tally = {
    latenciesMs: [],
    byTool: {},
    errors: { http: 0, tool: 0, dropped: 0 },
    examples: [],
  };
  let session = server.session;
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1000 / options.rate;
  const t0 = performance.now();
  const end = t0 + options.minutes * 60_000;
  for (let i = 0;; i++) {
    const due = t0 + i * intervalMs;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const tool = MIX[Math.floor(i / 2) % MIX.length];
    const counts = tally.byTool[tool] ??= { calls: 0, errors: 0 };
    counts.calls++;
    if (inFlight.size >= MAX_IN_FLIGHT) {
      counts.errors++;
      tally.errors.dropped++;
      continue;
    }
    const call = send(server, ERAS[i % 2], tool, session, tally).then((newSession) => {
      if (newSession) session = newSession;
    });
    inFlight.add(call);
    call.finally(() => inFlight.delete(call));
  }
  await Promise.all(inFlight);
  return tally;
}

/** Sends one call, records its latency or error; returns a new session from begin_session. */
async function send(
  server: Connector,
  era: (typeof ERAS)[number],
  tool: string,
  session: string,
  tally: Tally,
): Promise<string | undefined> {
  const target = usTarget(tool);
  const started = performance.now();
  let answer;
  try {
    answer = await once(server.mcpUrl, server.request(era, tool, target.args(session)));
  } catch (error) {
    return failed(tally, tool, "http", `${tool} ${era}: ${error}`);
  }
  tally.latenciesMs.push(performance.now() - started);
  try {
    const checked = target.check(answer);
    return tool === "begin_session" ? checked as string : undefined;
  } catch (error) {
    return failed(tally, tool, "tool", `${tool} ${era}: ${error}`);
  }
}

function failed(tally: Tally, tool: string, kind: "http" | "tool", message: string): undefined {
  tally.errors[kind]++;
  tally.byTool[tool].errors++;
  if (tally.examples.length < 5) tally.examples.push(message.slice(0, 300));
  return undefined;
}

/** The soak's report. */
interface SoakResult {
  label: string;
  startedAt: string;
  store: Store;
  minutes: number;
  targetRate: number;
  achievedRate: number;
  requests: number;
  answered: number;
  errors: number;
  errorsByKind: Tally["errors"];
  errorExamples: string[];
  byTool: Tally["byTool"];
  p50Ms: number;
  p99Ms: number;
  cpuUsPerCall: number | null;
  rss: { atSeconds: number; rssMb: number; peakMb: number }[];
  maxRssMb: number;
  lastRssMb: number;
  machine?: Record<string, unknown>;
}

function summarise(
  options: SoakOptions,
  started: Date,
  tally: Tally,
  rss: SoakResult["rss"],
  elapsedSeconds: number,
  ticks: number,
): SoakResult {
  const requests = Object.values(tally.byTool).reduce((n, t) => n + t.calls, 0);
  const { http, tool, dropped } = tally.errors;
  const answered = tally.latenciesMs.length;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    label: options.label,
    startedAt: started.toISOString(),
    store: options.store,
    minutes: options.minutes,
    targetRate: options.rate,
    achievedRate: round((answered - tool) / elapsedSeconds),
    requests,
    answered,
    errors: http + tool + dropped,
    errorsByKind: tally.errors,
    errorExamples: tally.examples,
    byTool: tally.byTool,
    p50Ms: round(percentile(tally.latenciesMs, 50)),
    p99Ms: round(percentile(tally.latenciesMs, 99)),
    cpuUsPerCall: cpuUsPerCall(ticks, answered),
    rss,
    maxRssMb: Math.max(...rss.map((s) => s.rssMb)),
    lastRssMb: rss.at(-1)!.rssMb,
  };
}

function printSummary(r: SoakResult): void {
  console.log(
    `soak ${r.store}: ${r.requests} requests, ${r.achievedRate} req/s answered successfully ` +
      `(target ${r.targetRate}), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors} ` +
      `(${JSON.stringify(r.errorsByKind)}), CPU ${r.cpuUsPerCall ?? "?"} µs/call, ` +
      `RSS max ${r.maxRssMb} MB, last ${r.lastRssMb} MB`,
  );
  for (const example of r.errorExamples) console.log(`  error: ${example}`);
}

function soakMarkdown(r: SoakResult & { machine: Record<string, unknown> }): string {
  return [
    `# Soak ${r.label} — ${r.startedAt}`,
    "",
    ...machineMarkdown(r.machine),
    "",
    `${r.minutes} min at ${r.targetRate} req/s (fixed rate, open loop) on ${r.store}; mix per 10 ` +
    `calls: 7 domain_get_item, 1 domain_search, 1 user_save_state, 1 begin_session; eras alternate.`,
    "",
    "| requests | achieved req/s | p50 ms | p99 ms | errors | CPU µs/call | max RSS MB | last RSS MB |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${r.requests} | ${r.achievedRate} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${
      r.cpuUsPerCall ?? "?"
    } | ${r.maxRssMb} | ${r.lastRssMb} |`,
    "",
    `Errors by kind: HTTP or network ${r.errorsByKind.http}, tool or JSON-RPC ${r.errorsByKind.tool}, ` +
    `dropped at ${MAX_IN_FLIGHT} in flight ${r.errorsByKind.dropped}.` +
    (r.errorExamples.length ? ` First: ${r.errorExamples.map((e) => `\`${e}\``).join("; ")}` : ""),
    "",
    `Calls by tool: ${
      Object.entries(r.byTool).map(([t, c]) => `${t} ${c.calls} (${c.errors} errors)`).join(", ")
    }.`,
    "",
    `RSS every ${RSS_EVERY_MS / 1000} s (MB): ${
      r.rss.map((s) => `${s.atSeconds} s ${s.rssMb}`).join(", ")
    }.`,
    "",
  ].join("\n");
}
