/**
 * `deno task bench [--label NAME] [--duration SECONDS]`: puts the connector beside the limit and
 * the peer in one run on one machine.
 *
 *   (a) limit — a bare Hono JSON route, same process shape;
 *   (b) peer  — the MCP SDK's stateless echo server, as its documentation builds it;
 *   (c) us    — authenticated `domain_get_item` (token verification, KV session check, Postgres read
 *               through the Neon driver and a WebSocket relay to the local PostgreSQL) and
 *               `begin_session`, on the Reading Room; and the booking pack's `domain_do_action book`
 *               at 16 connections, each request a distinct slot (a write transaction each).
 *
 * Each at 1 and 16 connections, both protocol eras (2025-11-25 stateless fallback, 2026-07-28),
 * measured by wrk in its own process; plus cold start and RSS across three load rounds. Prints a
 * table and writes JSON and Markdown to bench/results/.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { issueAccessToken } from "../src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "../src/signin/signing_key.ts";
import { SERVER_VERSION } from "../src/version.ts";
import { addDays, clock, localTime, minutesOf, WEEKDAYS } from "../src/domains/booking/time.ts";
import { VENUE } from "../src/domains/booking/venue.ts";
import { createTestDatabase } from "../tests/helpers/postgres.ts";
import { forEachLine } from "../tests/helpers/process.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    label: { type: "string", default: "run" },
    duration: { type: "string", default: "5" },
  },
});
const DURATION = Number(flags.duration);
const ROOT = new URL("../", import.meta.url).pathname;

// ---------------------------------------------------------------------------------------------
// Processes

interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  stop(): Promise<void>;
}

/** Spawns `deno args…` and waits for a stdout line matching `ready`; keeps draining output. */
async function spawn(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<Proc & { match: RegExpMatchArray }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const found = Promise.withResolvers<RegExpMatchArray>();
  forEachLine(child.stdout, (line) => {
    if (lines.length < 200) lines.push(line);
    const match = line.match(ready);
    if (match) found.resolve(match);
  }).then(() => found.reject(new Error(`${args.join(" ")} exited before ${ready}`)), found.reject);
  const match = await found.promise;
  return {
    child,
    lines,
    match,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  return {
    rssMb: Math.round(kb("VmRSS") / 102.4) / 10,
    peakMb: Math.round(kb("VmHWM") / 102.4) / 10,
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

const CLIENT_INFO = { name: "bench", version: "1.0.0" };

/** A tools/call request in one era: the body and the headers that go with it. */
function toolCall(era: "2025" | "2026", name: string, args: Record<string, unknown>) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const params: Record<string, unknown> = { name, arguments: args };
  if (era === "2025") {
    headers["mcp-protocol-version"] = "2025-11-25";
  } else {
    headers["mcp-protocol-version"] = "2026-07-28";
    headers["mcp-method"] = "tools/call";
    headers["mcp-name"] = name;
    params._meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
      "io.modelcontextprotocol/clientCapabilities": {},
    };
  }
  return { headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params }) };
}

/** Sends one request and returns the JSON-RPC message (from JSON or a one-event SSE body). */
async function once(url: string, request: { headers: Record<string, string>; body: string }) {
  const response = await fetch(url, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${text}`);
  const json = text.startsWith("{")
    ? text
    : text.split("\n").find((l) => l.startsWith("data: "))!.slice(6);
  return JSON.parse(json);
}

// ---------------------------------------------------------------------------------------------
// wrk

/** wrk's threads (fewer with fewer connections). */
const WRK_THREADS = 2;

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The server process's CPU time (user + system) per answered request, µs; null if unknown. */
  cpuUsPerCall: number | null;
  requests: number;
  errors: number;
}

/** Clock ticks per second of /proc's CPU counters. */
const CLOCK_TICKS = await (async () => {
  try {
    const { stdout } = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" })
      .output();
    return Number(new TextDecoder().decode(stdout).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ticks (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

async function wrk(
  url: string,
  request: { headers: Record<string, string>; body: string },
  connections: number,
  seconds: number,
  extraLua = "",
  serverPid?: number,
): Promise<Load> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  const lua = [
    `wrk.method = "POST"`,
    `wrk.body = [==[${request.body}]==]`,
    ...Object.entries(request.headers).map(([k, v]) => `wrk.headers["${k}"] = [==[${v}]==]`),
    extraLua,
  ].join("\n");
  await Deno.writeTextFile(script, lua);
  try {
    const threads = Math.min(connections, WRK_THREADS);
    const ticksBefore = serverPid === undefined ? 0 : cpuTicks(serverPid);
    const { stdout, code } = await new Deno.Command("wrk", {
      args: [
        "-t",
        String(threads),
        "-c",
        String(connections),
        "-d",
        `${seconds}s`,
        "--latency",
        "-s",
        script,
        url,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const ticks = serverPid === undefined ? 0 : cpuTicks(serverPid) - ticksBefore;
    const out = new TextDecoder().decode(stdout);
    if (code !== 0) throw new Error(`wrk failed: ${out}`);
    const ms = (label: string) => {
      const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out)!;
      return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 }[m[2]]!);
    };
    const requests = Number(/(\d+) requests in/.exec(out)![1]);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
      .exec(out);
    const errors = non2xx +
      (socketErrors ? socketErrors.slice(1).map(Number).reduce((a, b) => a + b) : 0);
    return {
      requestsPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1])),
      p50Ms: Math.round(ms("50") * 100) / 100,
      p99Ms: Math.round(ms("99") * 100) / 100,
      requests,
      errors,
      cpuUsPerCall: serverPid === undefined || requests === 0
        ? null
        : Math.round(ticks * 1e6 / CLOCK_TICKS / requests),
    };
  } finally {
    await Deno.remove(script);
  }
}

// ---------------------------------------------------------------------------------------------
// The run

interface Row extends Load {
  target: string;
  era: string;
  connections: number;
}

async function machine() {
  const cpu = /model name\s*:\s*(.+)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ??
    "unknown";
  const run = async (cmd: string, args: string[]) => {
    try {
      const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
      return new TextDecoder().decode(out.stdout).split("\n")[0].trim();
    } catch {
      return "unknown";
    }
  };
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}deno.lock`));
  const npm = (name: string) =>
    Object.keys(lock.npm ?? {}).find((k) => k.startsWith(`${name}@`)) ?? name;
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryGb: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    wrk: await run("wrk", ["--version"]),
    postgres: await run("psql", ["--version"]),
    connector: SERVER_VERSION,
    packages: ["@modelcontextprotocol/server", "hono", "jose", "@neondatabase/serverless"].map(npm),
  };
}

async function main() {
  try {
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch {
    console.error("wrk is needed as the load generator: apt-get install -y wrk");
    Deno.exit(1);
  }
  const started = new Date();
  const rows: Row[] = [];
  const log = (row: Row) => {
    rows.push(row);
    console.log(
      `${row.target.padEnd(26)} ${row.era.padEnd(5)} c=${String(row.connections).padEnd(3)} ` +
        `${String(row.requestsPerSecond).padStart(7)} req/s  p50 ${
          row.p50Ms.toFixed(2).padStart(7)
        } ms  ` +
        `p99 ${row.p99Ms.toFixed(2).padStart(7)} ms  errors ${row.errors}  ` +
        `CPU ${row.cpuUsPerCall ?? "?"} µs/call`,
    );
  };

  // (a) the limit
  const bare = await spawn(["run", "-A", "bench/servers/bare_hono.ts"], {}, /listening on (\S+)/);
  for (const c of [1, 16]) {
    const request = toolCall("2025", "echo", { message: "hi" });
    log({
      target: "a: bare Hono route",
      era: "-",
      connections: c,
      ...(await wrk(`${bare.match[1]}/mcp`, request, c, DURATION, "", bare.child.pid)),
    });
  }
  await bare.stop();

  // (b) the peer
  const peer = await spawn(["run", "-A", "bench/servers/sdk_echo.ts"], {}, /listening on (\S+)/);
  for (const era of ["2025", "2026"] as const) {
    const request = toolCall(era, "echo", { message: "hi" });
    const answer = await once(`${peer.match[1]}/`, request);
    if (answer.result?.content?.[0]?.text !== "hi") {
      throw new Error(`peer answered ${JSON.stringify(answer)}`);
    }
    for (const c of [1, 16]) {
      log({
        target: "b: SDK echo (no auth)",
        era,
        connections: c,
        ...(await wrk(`${peer.match[1]}/`, request, c, DURATION, "", peer.child.pid)),
      });
    }
  }
  const peerMemory = rssOf(peer.child.pid);
  console.log(`peer after its load: RSS ${peerMemory.rssMb} MB (peak ${peerMemory.peakMb} MB)`);
  await peer.stop();

  // (c) us, on PostgreSQL through the Neon driver and a relay process
  await using db = await createTestDatabase();
  const relay = await spawn(["run", "-A", "bench/servers/relay.ts"], {}, /relay (\S+)/);
  const dataDir = await Deno.makeTempDir({ prefix: "rr-bench-" });
  const key = await loadOrCreateSigningKey(dataDir);
  const env = {
    PORT: "0",
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    DATABASE_WS_PROXY: relay.match[1],
    SESSION_TTL: "3600",
    // wrk repeats one reader's begin_session thousands of times a minute.
    SESSION_STARTS_PER_MINUTE: "1000000",
    HOME: Deno.env.get("HOME") ?? "/root",
  };
  const tokenFor = (publicUrl: string, sub: string) =>
    issueAccessToken(key, {
      issuer: publicUrl,
      audience: `${publicUrl}/mcp`,
      sub,
      scope: "mcp",
      clientId: "bench",
      ttlSeconds: 3600,
    });

  // Cold start: process start → first authenticated tool answers (health, then begin_session).
  const cold: { toHealthMs: number; toBeginSessionMs: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = 18_400 + i;
    const publicUrl = `http://localhost:${port}`;
    const token = await tokenFor(publicUrl, `cold-${i}`);
    const auth = { authorization: `Bearer ${token}` };
    const t0 = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts"],
      env: { ...env, PORT: String(port) },
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const call = async (name: string) => {
      const request = toolCall("2025", name, {});
      Object.assign(request.headers, auth);
      for (;;) {
        try {
          const answer = await once(`${publicUrl}/mcp`, request);
          if (answer.result && !answer.result.isError) return performance.now() - t0;
          throw new Error(JSON.stringify(answer));
        } catch (error) {
          if (!(error instanceof TypeError) && !String(error).startsWith("Error: 503")) throw error;
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    };
    const toHealthMs = await call("health");
    const toBeginSessionMs = await call("begin_session");
    cold.push({
      toHealthMs: Math.round(toHealthMs),
      toBeginSessionMs: Math.round(toBeginSessionMs),
    });
    child.kill("SIGKILL");
    await child.status;
  }
  console.log(
    `cold start (3 runs): ${
      cold.map((c) => `health ${c.toHealthMs} ms / begin_session ${c.toBeginSessionMs} ms`).join(
        "; ",
      )
    }`,
  );

  const us = await spawn(["run", "-A", "main.ts"], env, /listening on (http:\/\/\S+?)\.?$/);
  const origin = us.match[1];
  const publicUrl = /Connector URL\s+(\S+)\/mcp/.exec(us.lines.join("\n"))![1];
  const token = await tokenFor(publicUrl, "bench-reader");
  const withAuth = (request: ReturnType<typeof toolCall>) => {
    request.headers.authorization = `Bearer ${token}`;
    return request;
  };
  const begun = await once(`${origin}/mcp`, withAuth(toolCall("2025", "begin_session", {})));
  const session = begun.result.structuredContent.session.token;
  const memory: { round: number; rssMb: number; peakMb: number }[] = [{
    round: 0,
    ...rssOf(us.child.pid),
  }];
  for (let round = 1; round <= 3; round++) {
    for (const era of ["2025", "2026"] as const) {
      const getItem = withAuth(toolCall(era, "domain_get_item", { session, id: "a7" }));
      const check = await once(`${origin}/mcp`, getItem);
      if (check.result?.structuredContent?.article?.id !== "a7") {
        throw new Error(JSON.stringify(check));
      }
      const begin = withAuth(toolCall(era, "begin_session", {}));
      const begun = await once(`${origin}/mcp`, begin);
      if (!begun.result?.structuredContent?.session) throw new Error(JSON.stringify(begun));
      for (const c of [1, 16]) {
        const a = await wrk(`${origin}/mcp`, getItem, c, DURATION, "", us.child.pid);
        const b = await wrk(`${origin}/mcp`, begin, c, DURATION, "", us.child.pid);
        if (round === 1) {
          log({ target: "c: us, domain_get_item", era, connections: c, ...a });
          log({ target: "c: us, begin_session", era, connections: c, ...b });
        }
      }
    }
    memory.push({ round, ...rssOf(us.child.pid) });
    console.log(
      `after load round ${round}: RSS ${memory.at(-1)!.rssMb} MB (peak ${
        memory.at(-1)!.peakMb
      } MB)`,
    );
  }
  await us.stop();

  // (c) us, booking: domain_do_action book at 16 connections, every request a distinct slot.
  await using bookingDb = await createTestDatabase();
  log(await benchBooking({ ...env, DATABASE_URL: bookingDb.url, DOMAIN: "booking" }, tokenFor));
  await relay.stop();
  await Deno.remove(dataDir, { recursive: true });

  // Ratios: (c) domain_get_item over (b) echo and over (a), same era and connections.
  const find = (target: string, era: string, c: number) =>
    rows.find((r) =>
      r.target.startsWith(target) && (r.era === era || era === "-") && r.connections === c
    )!;
  const ratios = (["2025", "2026"] as const).flatMap((era) =>
    [1, 16].map((c) => {
      const ours = find("c: us, domain_get_item", era, c);
      return {
        era,
        connections: c,
        usOverPeer:
          Math.round((ours.requestsPerSecond / find("b:", era, c).requestsPerSecond) * 100) / 100,
        usOverLimit:
          Math.round((ours.requestsPerSecond / find("a:", "-", c).requestsPerSecond) * 1000) / 1000,
      };
    })
  );
  for (const r of ratios) {
    console.log(
      `ratio ${r.era} c=${r.connections}: us/peer ${r.usOverPeer}×, us/limit ${r.usOverLimit}×`,
    );
  }

  const result = {
    label: flags.label,
    startedAt: started.toISOString(),
    durationPerMeasurementSeconds: DURATION,
    machine: await machine(),
    rows,
    ratios,
    coldStart: cold,
    memory,
    peerMemory,
  };
  const stamp = started.toISOString().slice(0, 16).replace(/[:]/g, "");
  const base = `${ROOT}bench/results/${stamp}-${flags.label}`;
  await Deno.writeTextFile(`${base}.json`, JSON.stringify(result, null, 2) + "\n");
  await Deno.writeTextFile(`${base}.md`, markdown(result));
  console.log(`wrote ${base}.json and .md`);
}

/**
 * Books distinct 30-minute slots (every resource, every half hour it is open, days 1-59) as fast as
 * 16 connections go, on a booking server of its own (same data directory, so the same signing
 * key, as the Reading Room's); checks afterwards that every request booked.
 */
/** Members the booking line spreads its requests over (each may hold 20 upcoming bookings). */
const MEMBERS = 500;

async function benchBooking(
  env: Record<string, string>,
  tokenFor: (publicUrl: string, sub: string) => Promise<string>,
): Promise<Row> {
  const server = await spawn(
    ["run", "-A", "main.ts"],
    env,
    /listening on (http:\/\/\S+?)\.?$/,
  );
  try {
    const origin = server.match[1];
    const publicUrl = /Connector URL\s+(\S+)\/mcp/.exec(server.lines.join("\n"))![1];
    // Many members, each with a session: one member may hold only so many upcoming bookings, so
    // the requests are spread over enough of them that no one reaches the cap.
    const members: { auth: string; session: string }[] = [];
    for (let batch = 0; batch < MEMBERS / 25; batch++) {
      members.push(
        ...await Promise.all(Array.from({ length: 25 }, async (_, i) => {
          const auth = `Bearer ${await tokenFor(publicUrl, `bench-booker-${batch * 25 + i}`)}`;
          const begin = toolCall("2025", "begin_session", {});
          begin.headers.authorization = auth;
          const answer = await once(`${origin}/mcp`, begin);
          return { auth, session: answer.result.structuredContent.session.token as string };
        })),
      );
    }
    const slots: string[] = [];
    for (let day = 1; day < 60; day++) {
      const date = addDays(localTime(Date.now(), VENUE.timeZone).date, day);
      const weekday = WEEKDAYS[(new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7];
      for (const r of VENUE.resources) {
        const hours = r.hours[weekday];
        if (!hours) continue;
        for (let m = minutesOf(hours[0]); m + 30 <= minutesOf(hours[1]); m += 30) {
          slots.push(`${r.id}|${date}T${clock(m)}|${date}T${clock(m + 30)}`);
        }
      }
    }
    const template = toolCall("2025", "domain_do_action", {
      session: "%s",
      action: "book",
      resource_id: "%s",
      start: "%s",
      end: "%s",
      party_size: 2,
      idempotency_key: "bench-%d-%d",
    });
    template.headers.authorization = members[0].auth;
    const outcomes = await Deno.makeTempFile({ suffix: ".txt" });
    // Each wrk thread takes every WRK_THREADS-th slot from its own offset (threads share no Lua
    // state), so no two requests share a slot.
    const lua = `
local slots = { ${slots.map((x) => `"${x}"`).join(",")} }
local members = { ${members.map((m) => `{"${m.auth}","${m.session}"}`).join(",")} }
local threads = {}
function setup(thread) thread:set("id", #threads) table.insert(threads, thread) end
function init() n = 0 booked = 0 refused = 0 end
function request()
  local i = (id + n * ${WRK_THREADS}) % #slots + 1
  n = n + 1
  local r, s, e = slots[i]:match("([^|]+)|([^|]+)|([^|]+)")
  local m = members[(id + n * ${WRK_THREADS}) % #members + 1]
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["authorization"] = m[1]
  return wrk.format(nil, nil, h, string.format([==[${template.body}]==], m[2], r, s, e, id, n))
end
function response(status, headers, body)
  if body:find('"isError":true', 1, true) then refused = refused + 1 else booked = booked + 1 end
end
function done()
  local b, r = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("booked") r = r + t:get("refused") end
  local f = io.open("${outcomes}", "w") f:write(b .. " " .. r) f:close()
end`;
    const load = await wrk(`${origin}/mcp`, template, 16, DURATION, lua, server.child.pid);
    const [booked, refused] = (await Deno.readTextFile(outcomes)).split(" ").map(Number);
    await Deno.remove(outcomes);
    console.log(`booking: ${booked} booked, ${refused} refused, of ${slots.length} distinct slots`);
    if (refused > 0 || booked > slots.length) {
      throw new Error("booking bench: not every request booked");
    }
    return { target: "c: us, domain_do_action book", era: "2025", connections: 16, ...load };
  } finally {
    await server.stop();
  }
}

function markdown(r: {
  label: string | undefined;
  startedAt: string;
  machine: Record<string, unknown>;
  rows: Row[];
  ratios: { era: string; connections: number; usOverPeer: number; usOverLimit: number }[];
  coldStart: { toHealthMs: number; toBeginSessionMs: number }[];
  memory: { round: number; rssMb: number; peakMb: number }[];
  peerMemory: { rssMb: number; peakMb: number };
}): string {
  const m = r.machine;
  return [
    `# Benchmark ${r.label} — ${r.startedAt}`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, ${m.os}. Deno ${m.deno} (V8 ${m.v8}), ${m.wrk}, ${m.postgres}.`,
    `Packages: ${(m.packages as string[]).join(", ")}. Connector ${m.connector}.`,
    "",
    "| target | era | conns | req/s | p50 ms | p99 ms | errors | CPU µs/call |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.rows.map((x) =>
      `| ${x.target} | ${x.era} | ${x.connections} | ${x.requestsPerSecond} | ${x.p50Ms} | ${x.p99Ms} | ${x.errors} | ${
        x.cpuUsPerCall ?? "?"
      } |`
    ),
    "",
    "| era | conns | us / peer | us / limit |",
    "| --- | ---: | ---: | ---: |",
    ...r.ratios.map((x) =>
      `| ${x.era} | ${x.connections} | ${x.usOverPeer}× | ${x.usOverLimit}× |`
    ),
    "",
    `Cold start (process start → first authenticated answer): ${
      r.coldStart.map((c) => `health ${c.toHealthMs} ms, begin_session ${c.toBeginSessionMs} ms`)
        .join("; ")
    }.`,
    "",
    `RSS after load rounds: ${
      r.memory.map((x) => `round ${x.round}: ${x.rssMb} MB (peak ${x.peakMb})`).join("; ")
    }.`,
    "",
  ].join("\n");
}

await main();
