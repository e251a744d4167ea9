/**
 * The headline: the call that does the whole job — `user_get_profile`, a bearer ES256 JWT checked,
 * the session checked in KV, one PostgreSQL read — measured on the kit beside the peers a builder
 * would otherwise pick (`lib/peers.ts`: the MCP SDK v1 with express, `requireBearerAuth` and `pg`;
 * a hand-written `Deno.serve` + jose + `pg` floor), all reading the same rows of the same
 * PostgreSQL and verifying tokens of the same ES256 key, in one interleaved run.
 *
 * Two token lines for every server: `people` — 64 people, each with their own token, cycled as
 * hosts do (the kit's verified-token cache holds them all); `fresh` — a token never seen lately on
 * every call (a pool of more tokens than that cache keeps, walked strictly in turn, so each comes
 * round only after the cache has let it go): the worst case, one signature check per call.
 *
 * Each round measures every server, token line and connection count (16 and 1) for `duration`
 * seconds, the servers' order turning each round; the rows are the medians over rounds. Also:
 * each server's RSS after the load, its cold start (process start → first answered authenticated
 * call; the SDK's unauthenticated echo server beside it as the yardstick), and what one jose
 * `jwtVerify` with an imported key costs in CPU on this machine, against which the kit's
 * fresh-token cost over a cached call is set.
 *
 * Run alone with `deno task bench --headline`; `deno task bench` runs it first.
 *
 * @module
 */
import { importJWK, jwtVerify } from "jose";
import process from "node:process";
import { VERIFIED_TOKENS_KEPT } from "../src/auth/access_verifier.ts";
import { loadOrCreateSigningKey } from "../src/signin/signing_key.ts";
import { coldStart } from "./lib/cold.ts";
import {
  type Caller,
  callersLua,
  openBackend,
  signInReaders,
  startConnector,
  writeCallers,
} from "./lib/connector.ts";
import { type McpRequest, once, toolCall } from "./lib/mcp.ts";
import { checkPeerAnswer, peerEnvFor, peerRequest, preparePeers, startPeer } from "./lib/peers.ts";
import { type Rss, rssOf, spawn } from "./lib/proc.ts";
import { percentile } from "./lib/report.ts";
import { type Load, wrk } from "./lib/wrk.ts";

/** The servers of the headline, in the order of the table. */
export const HEADLINE_SERVERS = ["us", "us-2026", "sdk-v1", "floor"] as const;
/** One of {@linkcode HEADLINE_SERVERS}: `us-2026` is the kit in the 2026-07-28 era. */
export type HeadlineServer = typeof HEADLINE_SERVERS[number];
/** The token lines. */
export type TokenLine = "people" | "fresh";

/** What each server is, for the table. */
export const SERVER_NAMES: Record<HeadlineServer, string> = {
  us: "kit (2025-11-25)",
  "us-2026": "kit (2026-07-28)",
  "sdk-v1": "SDK v1 + express + pg",
  floor: "floor: Deno.serve + jose + pg",
};

/** Options of {@linkcode runHeadline}. */
export interface HeadlineOptions {
  /** Seconds per measurement. */
  duration: number;
  /** Rounds (each measures everything once). */
  rounds: number;
  /** Cold starts per server. */
  coldStarts?: number;
}

/** The median of a cell's rounds. */
export interface HeadlineCell extends Omit<Load, "requests"> {
  server: HeadlineServer;
  tokens: TokenLine;
  connections: number;
}

/** Everything the headline measured. */
export interface HeadlineResult {
  durationSeconds: number;
  rounds: number;
  people: number;
  freshTokens: number;
  cells: HeadlineCell[];
  rss: Record<HeadlineServer, Rss>;
  /** Medians, ms: process start → first answered authenticated call (`sdk-echo`: unauthenticated). */
  coldStartMs: Record<"us" | "sdk-v1" | "floor" | "sdk-echo", number>;
  /** Every cold start, ms. */
  coldStartRuns: Record<"us" | "sdk-v1" | "floor" | "sdk-echo", number[]>;
  /** CPU µs of one jose `jwtVerify` (ES256, key imported once), sequential, in this process. */
  verifyCpuUs: number;
  /** The peers' installed packages. */
  peerPackages: Record<string, string[]>;
  targets: Target[];
}

/** One of the issue's targets: what was measured against what it should be. */
export interface Target {
  what: string;
  value: number;
  goal: string;
  met: boolean;
}

const PEOPLE = 64;
/** Fresh tokens: well over what the kit's verified-token cache keeps. */
const FRESH_TOKENS = Math.max(30_000, 3 * VERIFIED_TOKENS_KEPT);
const CONNECTIONS = [16, 1];

/** Runs the headline. */
export async function runHeadline(options: HeadlineOptions): Promise<HeadlineResult> {
  await using install = await preparePeers();
  await using backend = await openBackend("postgres");
  const us = await startConnector(backend);
  const stops: (() => Promise<void>)[] = [us.stop];
  try {
    const readers = await signInReaders(backend, us, PEOPLE);
    const minted = performance.now();
    const fresh: Caller[] = [];
    for (let first = 0; first < FRESH_TOKENS; first += 500) {
      fresh.push(
        ...await Promise.all(Array.from({ length: 500 }, async (_, i) => {
          const person = (first + i) % PEOPLE;
          const token = await backend.tokenFor(us.publicUrl, `bench-reader-${person}`);
          return { auth: `Bearer ${token}`, session: readers[person].session };
        })),
      );
    }
    console.log(
      `headline: ${PEOPLE} people, ${fresh.length} fresh tokens minted in ${
        Math.round(performance.now() - minted)
      } ms`,
    );
    const verifyCpuUs = await verificationCost(backend.env.DATA_DIR, fresh);
    const env = await peerEnvFor(backend, us);
    const sdk = await startPeer(install, "sdk-v1", env);
    stops.push(sdk.stop);
    const floor = await startPeer(install, "floor", env);
    stops.push(floor.stop);
    // Each peer answers the first person's row: the same job, checked once before the load.
    for (const peer of [sdk, floor]) {
      checkPeerAnswer(await once(peer.url, peerRequest(readers[0].auth)), "bench-reader-0");
    }
    const files = { people: await writeCallers(readers), fresh: await writeCallers(fresh) };
    stops.push(() => Deno.remove(files.people), () => Deno.remove(files.fresh));
    const targets: Record<HeadlineServer, { url: string; pid: number; request: McpRequest }> = {
      us: { url: us.mcpUrl, pid: us.pid, request: toolCall("2025", "user_get_profile", {}) },
      "us-2026": {
        url: us.mcpUrl,
        pid: us.pid,
        request: toolCall("2026", "user_get_profile", {}),
      },
      "sdk-v1": { url: sdk.url, pid: sdk.pid, request: peerRequest() },
      floor: { url: floor.url, pid: floor.pid, request: peerRequest() },
    };
    const bodyOf = (server: HeadlineServer) =>
      server.startsWith("us")
        ? toolCall(server === "us" ? "2025" : "2026", "user_get_profile", { session: "%s" }).body
        : targets[server].request.body;
    // Where each server's walk through each token line has got to: a fresh token comes round
    // again only after all the others.
    const next: Record<string, number> = {};
    const load = async (server: HeadlineServer, tokens: TokenLine, connections: number) => {
      const key = `${server}/${tokens}`;
      const { url, pid, request } = targets[server];
      const result = await wrk(url, request, connections, options.duration, {
        serverPid: pid,
        countToolErrors: true,
        extraLua: callersLua(files[tokens], bodyOf(server), next[key] ?? 0),
      });
      next[key] = (next[key] ?? 0) + result.requests;
      return result;
    };
    // Warmed first, each on both lines: JIT, pools and (for us) the people's tokens verified once.
    for (const server of HEADLINE_SERVERS) {
      for (const tokens of ["people", "fresh"] as const) await load(server, tokens, 16);
    }
    const runs = new Map<string, Load[]>();
    for (let round = 0; round < options.rounds; round++) {
      const order = HEADLINE_SERVERS.map((_, i) =>
        HEADLINE_SERVERS[(i + round) % HEADLINE_SERVERS.length]
      );
      for (const connections of CONNECTIONS) {
        for (const tokens of ["people", "fresh"] as const) {
          for (const server of order) {
            const result = await load(server, tokens, connections);
            const key = `${server}/${tokens}/${connections}`;
            runs.set(key, [...runs.get(key) ?? [], result]);
            console.log(
              `  round ${round + 1} ${SERVER_NAMES[server].padEnd(30)} ${tokens.padEnd(6)} c=${
                String(connections).padEnd(2)
              } ${String(result.requestsPerSecond).padStart(6)} req/s  p99 ${result.p99Ms} ms  ${
                result.cpuUsPerCall ?? "?"
              } µs CPU/call  ${result.errors} errors`,
            );
          }
        }
      }
    }
    const cells: HeadlineCell[] = [];
    for (const [key, loads] of runs) {
      const [server, tokens, connections] = key.split("/");
      const median = (pick: (l: Load) => number | null) =>
        percentile(loads.map(pick).filter((v): v is number => v !== null), 50);
      cells.push({
        server: server as HeadlineServer,
        tokens: tokens as TokenLine,
        connections: Number(connections),
        requestsPerSecond: median((l) => l.requestsPerSecond),
        p50Ms: median((l) => l.p50Ms),
        p99Ms: median((l) => l.p99Ms),
        cpuUsPerCall: median((l) => l.cpuUsPerCall),
        errors: loads.reduce((sum, l) => sum + l.errors, 0),
      });
    }
    const rss = {
      us: rssOf(us.pid),
      "us-2026": rssOf(us.pid),
      "sdk-v1": rssOf(sdk.pid),
      floor: rssOf(floor.pid),
    };
    for (const stop of stops.splice(1)) await stop();
    await us.stop();
    const cold = await coldStarts(install, backend, options.coldStarts ?? 5);
    const result: HeadlineResult = {
      durationSeconds: options.duration,
      rounds: options.rounds,
      people: PEOPLE,
      freshTokens: fresh.length,
      cells,
      rss,
      coldStartMs: Object.fromEntries(
        Object.entries(cold).map(([k, v]) => [k, percentile(v, 50)]),
      ) as HeadlineResult["coldStartMs"],
      coldStartRuns: cold,
      verifyCpuUs,
      peerPackages: install.packages,
      targets: [],
    };
    result.targets = targetsOf(result);
    return result;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
}

/** CPU µs (all threads) of one `jwtVerify` of a fresh token with an imported key, sequentially. */
async function verificationCost(dataDir: string, callers: readonly Caller[]): Promise<number> {
  const key = await loadOrCreateSigningKey(dataDir);
  const publicKey = await importJWK(key.publicJwk, key.alg);
  const tokens = callers.slice(0, 2_000).map((c) => c.auth.slice("Bearer ".length));
  for (const token of tokens.slice(0, 200)) await jwtVerify(token, publicKey);
  const before = process.cpuUsage();
  for (const token of tokens) await jwtVerify(token, publicKey);
  const spent = process.cpuUsage(before);
  return Math.round((spent.user + spent.system) / tokens.length);
}

/**
 * Cold starts, interleaved: the kit (`lib/cold.ts`: its first authenticated `health`), each peer
 * (start → listening → one authenticated call) and the SDK echo server (start → listening → one
 * unauthenticated call).
 */
async function coldStarts(
  install: Awaited<ReturnType<typeof preparePeers>>,
  backend: Awaited<ReturnType<typeof openBackend>>,
  runs: number,
): Promise<HeadlineResult["coldStartRuns"]> {
  const cold: HeadlineResult["coldStartRuns"] = { us: [], "sdk-v1": [], floor: [], "sdk-echo": [] };
  // The peers read their issuer and audience from the environment; any will do for a start.
  const issuer = "http://localhost:18499";
  const key = await loadOrCreateSigningKey(backend.env.DATA_DIR);
  const token = await backend.tokenFor(issuer, "bench-reader-0");
  const env = {
    DATABASE_URL: backend.env.DATABASE_URL,
    JWKS: JSON.stringify({ keys: [key.publicJwk] }),
    ISSUER: issuer,
    AUDIENCE: `${issuer}/mcp`,
  };
  const timed = async (start: () => Promise<{ stop(): Promise<void> }>) => {
    const t0 = performance.now();
    const server = await start();
    const ms = Math.round(performance.now() - t0);
    await server.stop();
    return ms;
  };
  for (let i = 0; i < runs; i++) {
    cold["sdk-echo"].push(
      await timed(async () => {
        const echo = await spawn(
          ["run", "-A", "bench/servers/sdk_echo.ts"],
          {},
          /listening on (\S+)/,
        );
        const answer = await once(`${echo.match[1]}/`, toolCall("2025", "echo", { message: "hi" }));
        if (!answer.result) throw new Error(`echo: ${JSON.stringify(answer)}`);
        return echo;
      }),
    );
    cold.us.push((await coldStart(backend, 18_400 + i, `cold-${i}`)).toHealthMs);
    for (const kind of ["sdk-v1", "floor"] as const) {
      cold[kind].push(
        await timed(async () => {
          const peer = await startPeer(install, kind, env);
          checkPeerAnswer(await once(peer.url, peerRequest(`Bearer ${token}`)), "bench-reader-0");
          return peer;
        }),
      );
    }
  }
  return cold;
}

/** The issue's targets, from the medians. */
function targetsOf(r: HeadlineResult): Target[] {
  const cell = (server: HeadlineServer, tokens: TokenLine, connections = 16) =>
    r.cells.find((c) =>
      c.server === server && c.tokens === tokens && c.connections === connections
    )!;
  const ratio = (a: number, b: number) => Math.round(100 * a / b) / 100;
  const rps = (s: HeadlineServer, t: TokenLine) => cell(s, t).requestsPerSecond;
  const freshCost = (cell("us", "fresh").cpuUsPerCall ?? NaN) -
    (cell("us", "people").cpuUsPerCall ?? NaN);
  return [
    {
      what: "req/s c=16, per-person tokens: kit / SDK v1",
      value: ratio(rps("us", "people"), rps("sdk-v1", "people")),
      goal: "≥ 4",
      met: rps("us", "people") >= 4 * rps("sdk-v1", "people"),
    },
    {
      what: "req/s c=16, per-person tokens: kit / floor",
      value: ratio(rps("us", "people"), rps("floor", "people")),
      goal: "≥ 1.3",
      met: rps("us", "people") >= 1.3 * rps("floor", "people"),
    },
    {
      what: "req/s c=16, fresh tokens: kit / floor",
      value: ratio(rps("us", "fresh"), rps("floor", "fresh")),
      goal: "≥ 0.9",
      met: rps("us", "fresh") >= 0.9 * rps("floor", "fresh"),
    },
    {
      what: "p99 c=16, per-person tokens: kit / floor",
      value: ratio(cell("us", "people").p99Ms, cell("floor", "people").p99Ms),
      goal: "≤ 1",
      met: cell("us", "people").p99Ms <= cell("floor", "people").p99Ms,
    },
    {
      what: "cold start to the first authenticated call: kit / SDK echo",
      value: ratio(r.coldStartMs.us, r.coldStartMs["sdk-echo"]),
      goal: "≤ 1",
      met: r.coldStartMs.us <= r.coldStartMs["sdk-echo"],
    },
    {
      what: "fresh-token CPU over a cached call, µs / one jwtVerify",
      value: ratio(freshCost, r.verifyCpuUs),
      goal: "≤ 1",
      met: freshCost <= r.verifyCpuUs,
    },
  ];
}

/** The headline as Markdown: the table, the targets, and what the lines mean. */
export function headlineMarkdown(r: HeadlineResult): string[] {
  const cell = (server: HeadlineServer, tokens: TokenLine, connections: number) =>
    r.cells.find((c) =>
      c.server === server && c.tokens === tokens && c.connections === connections
    );
  const rows = HEADLINE_SERVERS.flatMap((server) =>
    (["people", "fresh"] as const).map((tokens) => {
      const c16 = cell(server, tokens, 16);
      const c1 = cell(server, tokens, 1);
      const cold = server === "us" || server === "sdk-v1" || server === "floor"
        ? `${r.coldStartMs[server]} ms`
        : "—";
      return `| ${
        SERVER_NAMES[server]
      } | ${tokens} | ${c16?.requestsPerSecond} | ${c1?.requestsPerSecond} | ${c16?.p50Ms} | ${c16?.p99Ms} | ${
        c16?.cpuUsPerCall ?? "?"
      } | ${r.rss[server].rssMb} MB | ${tokens === "people" ? cold : ""} | ${
        (c16?.errors ?? 0) + (c1?.errors ?? 0)
      } |`;
    })
  );
  return [
    `\`user_get_profile\` (bearer ES256 JWT, session check, one PostgreSQL read), ${r.people} people each with their own token (\`people\`) or a token not seen lately on every call (\`fresh\`, ${r.freshTokens} tokens); medians of ${r.rounds} interleaved rounds of ${r.durationSeconds} s. The kit on PostgreSQL over TCP (\`pg\`).`,
    "",
    "| server | tokens | req/s c=16 | req/s c=1 | p50 ms c=16 | p99 ms c=16 | CPU µs/call c=16 | RSS | cold start | errors |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    `| SDK echo (no auth, no database) | — | | | | | | | ${r.coldStartMs["sdk-echo"]} ms | |`,
    "",
    `One jose \`jwtVerify\` (ES256, key imported once) costs ${r.verifyCpuUs} µs CPU here.`,
    "",
    "| target | measured | goal | met |",
    "| --- | ---: | --- | --- |",
    ...r.targets.map((t) => `| ${t.what} | ${t.value} | ${t.goal} | ${t.met ? "yes" : "**no**"} |`),
  ];
}
