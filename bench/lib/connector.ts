/**
 * The connector under test ("us"): a backend (its data directory, signing key and store), the
 * server process on it, and the Reading Room tool calls the benchmarks make.
 *
 * Three stores, each on a fresh database per backend: `postgres` reaches the local PostgreSQL over
 * TCP (`pg`, the driver for plain PostgreSQL); `neon` reaches it through the Neon driver and a
 * WebSocket relay process (the path for runtimes without TCP); `pglite` is the default embedded
 * store (PGlite in a worker under `DATA_DIR`), chosen by leaving `DATABASE_URL` unset.
 *
 * @module
 */
import { issueAccessToken } from "../../src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "../../src/signin/signing_key.ts";
import { createTestDatabase } from "../../tests/helpers/postgres.ts";
import { type Era, type JsonRpcAnswer, type McpRequest, once, toolCall } from "./mcp.ts";
import { spawn } from "./proc.ts";

/** Where the connector keeps its data. */
export type Store = "postgres" | "neon" | "pglite";

/** Every store, in the order a `--store all` run measures them. */
export const STORES: readonly Store[] = ["postgres", "neon", "pglite"];

/** A data directory, signing key and store for connector processes; disposing removes them. */
export interface Backend extends AsyncDisposable {
  store: Store;
  /** The environment for `main.ts` (PORT=0, DATA_DIR, the store's variables, generous limits). */
  env: Record<string, string>;
  /** Mints an access token for `sub` from the development issuer at `publicUrl`. */
  tokenFor(publicUrl: string, sub: string, ttlSeconds?: number): Promise<string>;
}

/** Opens a backend: a temporary data directory, and for `postgres` a database and a relay. */
export async function openBackend(store: Store): Promise<Backend> {
  const dataDir = await Deno.makeTempDir({ prefix: `rr-bench-${store}-` });
  const cleanups: (() => PromiseLike<void>)[] = [() => Deno.remove(dataDir, { recursive: true })];
  const dispose = async () => {
    for (const cleanup of cleanups) await cleanup();
  };
  try {
    const key = await loadOrCreateSigningKey(dataDir);
    const env: Record<string, string> = {
      PORT: "0",
      DATA_DIR: dataDir,
      // Empty means unset: the embedded store, whatever the benchmark's own environment holds.
      DATABASE_URL: "",
      DATABASE_WS_PROXY: "",
      DATABASE_DRIVER: "",
      SESSION_TTL: "3600",
      // wrk repeats one reader's begin_session thousands of times a minute.
      SESSION_STARTS_PER_MINUTE: "1000000",
      // wrk and the soak drive one reader over up to 256 requests at once: the per-person cap on
      // open requests (8 by default) would answer most of them 429 and measure nothing else.
      MCP_MAX_OPEN_PER_PERSON: "1000",
      // The production path: no development-only read-only transactions around pack reads.
      DEV_READ_ONLY_READS: "0",
      HOME: Deno.env.get("HOME") ?? "/root",
    };
    if (store !== "pglite") {
      const db = await createTestDatabase();
      cleanups.unshift(() => db[Symbol.asyncDispose]());
      env.DATABASE_URL = db.url;
      env.DATABASE_DRIVER = store === "neon" ? "neon" : "tcp";
    }
    if (store === "neon") {
      const relay = await spawn(["run", "-A", "bench/servers/relay.ts"], {}, /relay (\S+)/);
      cleanups.unshift(() => relay.stop());
      env.DATABASE_WS_PROXY = relay.match[1];
    }
    return {
      store,
      env,
      tokenFor: (publicUrl, sub, ttlSeconds = 3600) =>
        issueAccessToken(key, {
          issuer: publicUrl,
          audience: `${publicUrl}/mcp`,
          sub,
          scope: "mcp",
          clientId: "bench",
          ttlSeconds,
        }),
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** A running connector with a signed-in reader and a session. */
export interface Connector {
  /** `http://host:port/mcp` on the listening address. */
  mcpUrl: string;
  /** The URL the server calls itself (its tokens' issuer). */
  publicUrl: string;
  pid: number;
  /** A session token from the first begin_session. */
  session: string;
  /** A tools/call request in `era`, with the reader's bearer token. */
  request(era: Era, tool: string, args: Record<string, unknown>): McpRequest;
  /** Kills the process. */
  stop(): Promise<void>;
}

/** How long a connector may take from "listening" to its first answered begin_session. */
const WARM_UP_MS = 60_000;

/**
 * Starts `main.ts` on `backend` (with `extraEnv`), waits for its banner, signs a reader in and
 * begins a session (retrying while the server is still opening its store); the first call also
 * warms it up.
 */
export async function startConnector(
  backend: Backend,
  options: {
    extraEnv?: Record<string, string>;
    /** Extra `deno run` flags (before `main.ts`). */
    denoFlags?: string[];
    tokenTtlSeconds?: number;
  } = {},
): Promise<Connector> {
  const server = await spawn(
    ["run", "-A", ...options.denoFlags ?? [], "main.ts"],
    { ...backend.env, ...options.extraEnv },
    /Connector URL\s+(\S+)\/mcp/,
  );
  try {
    const publicUrl = server.match[1];
    const origin = /listening on (http:\/\/\S+?)\.?$/m.exec(server.lines.join("\n"))![1];
    const mcpUrl = `${origin}/mcp`;
    const token = await backend.tokenFor(publicUrl, "bench-reader", options.tokenTtlSeconds);
    const request = (era: Era, tool: string, args: Record<string, unknown>) => {
      const call = toolCall(era, tool, args);
      call.headers.authorization = `Bearer ${token}`;
      return call;
    };
    const begun = await retryWhileStarting(() =>
      once(mcpUrl, request("2025", "begin_session", {}))
    );
    const session = BEGIN_SESSION.check(begun) as string;
    return { mcpUrl, publicUrl, pid: server.child.pid, session, request, stop: server.stop };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Calls `call` until it neither fails to connect nor answers 503, for up to a minute. */
export async function retryWhileStarting<T>(call: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + WARM_UP_MS;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const starting = error instanceof TypeError || String(error).startsWith("Error: 503");
      if (!starting || performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/** One Reading Room tool call the benchmarks make, and how its answer is checked. */
export interface UsTarget {
  tool: string;
  /** Its arguments, given a session token. */
  args(session: string): Record<string, unknown>;
  /**
   * Checks a successful answer; returns something from it (begin_session: the new session token).
   *
   * @throws {Error} when the answer is an error, a tool error, or not what was asked for.
   */
  check(answer: JsonRpcAnswer): unknown;
}

/** The structured content of a successful tool answer, or an error naming the whole answer. */
// deno-lint-ignore no-explicit-any
function content(answer: JsonRpcAnswer, ok: (content: any) => boolean): any {
  const structured = answer.result?.structuredContent;
  if (!answer.result || answer.result.isError || !structured || !ok(structured)) {
    throw new Error(`unexpected answer: ${JSON.stringify(answer).slice(0, 500)}`);
  }
  return structured;
}

const BEGIN_SESSION: UsTarget = {
  tool: "begin_session",
  args: () => ({}),
  check: (answer) => content(answer, (c) => typeof c.session?.token === "string").session.token,
};

/** The word `domain_search` looks for: it matches several seeded articles. */
export const SEARCH_QUERY = "light";

/**
 * The measured tools: read one article, full-text search, save a small merge patch to the reader's
 * state (a write, always the same reader), begin a session (a KV write and a database round trip).
 */
export const US_TARGETS: readonly UsTarget[] = [
  {
    tool: "domain_get_item",
    args: (session) => ({ session, id: "a7" }),
    check: (answer) => content(answer, (c) => c.article?.id === "a7"),
  },
  {
    tool: "domain_search",
    args: (session) => ({ session, query: SEARCH_QUERY }),
    check: (answer) => content(answer, (c) => Array.isArray(c.results) && c.results.length > 0),
  },
  {
    tool: "user_save_state",
    args: (session) => ({ session, patch: { bench: { note: "steady", pages: 12 } } }),
    check: (answer) =>
      content(answer, (c) => typeof c.state?.version === "number" && c.state.data?.bench),
  },
  {
    // A pack write on one person's rows (the shelf): row-level security's cost on a write.
    tool: "domain_do_action",
    args: (session) => ({ session, action: "shelve", id: "a3" }),
    check: (answer) => content(answer, (c) => c.id === "a3" && c.shelfEntry !== null),
  },
  BEGIN_SESSION,
];

/** Valid arguments for `tool` with `session`: a measured target's, `{}` for health, else the session. */
export function argumentsFor(tool: string, session: string): Record<string, unknown> {
  if (tool === "health") return {};
  return US_TARGETS.find((t) => t.tool === tool)?.args(session) ?? { session };
}

/** The target for `tool`. */
export function usTarget(tool: string): UsTarget {
  return US_TARGETS.find((t) => t.tool === tool)!;
}

/** A signed-in reader with a session: the `authorization` header value and the session token. */
export interface Reader {
  auth: string;
  session: string;
}

/** Signs `count` distinct readers in on `connector` and begins a session for each. */
export async function signInReaders(
  backend: Backend,
  connector: Connector,
  count: number,
): Promise<Reader[]> {
  const readers: Reader[] = [];
  for (let first = 0; first < count; first += 25) {
    readers.push(
      ...await Promise.all(
        Array.from({ length: Math.min(25, count - first) }, async (_, i) => {
          const auth = `Bearer ${await backend.tokenFor(
            connector.publicUrl,
            `bench-reader-${first + i}`,
          )}`;
          const begin = toolCall("2025", "begin_session", {});
          begin.headers.authorization = auth;
          const session = BEGIN_SESSION.check(await once(connector.mcpUrl, begin)) as string;
          return { auth, session };
        }),
      ),
    );
  }
  return readers;
}

/**
 * wrk Lua giving each request the next reader in turn (its bearer token, and its session in place
 * of the body's `%s`), so writes spread over many people instead of queueing on one person's row.
 */
export function readersLua(readers: readonly Reader[], body: string): string {
  return `
local readers = { ${readers.map((r) => `{"${r.auth}","${r.session}"}`).join(",")} }
local turn = 0
function request()
  turn = turn + 1
  local r = readers[turn % #readers + 1]
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["authorization"] = r[1]
  return wrk.format(nil, nil, h, string.format([==[${body}]==], r[2]))
end`;
}

/** A caller as wrk sends it: the `authorization` header value and the session token. */
export type Caller = Reader;

/**
 * Writes `callers` to a file for {@linkcode callersLua}, one `authorization<TAB>session` per line;
 * returns its path (the caller removes it).
 */
export async function writeCallers(callers: readonly Caller[]): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "bench-callers-", suffix: ".tsv" });
  await Deno.writeTextFile(file, callers.map((c) => `${c.auth}\t${c.session}\n`).join(""));
  return file;
}

/**
 * wrk Lua walking the callers in `file` (see {@linkcode writeCallers}) strictly in turn, from
 * caller `start` on, the threads interleaved (thread i takes start+i, start+i+n, …), each request
 * with that caller's bearer token and its session in place of the body's `%s`. For use with
 * `countToolErrors` (which gives each thread its index). A run of `r` requests uses callers
 * `start … start+r-1` (mod the count): the next run should start there, so that no caller comes
 * round again before all the others have — with more tokens than the verified-token cache holds,
 * every call then brings a token the server has not verified lately.
 */
export function callersLua(file: string, body: string, start: number): string {
  return `
local auths, sessions = {}, {}
function prepare()
  for line in io.lines([==[${file}]==]) do
    local tab = line:find("\t", 1, true)
    auths[#auths + 1] = line:sub(1, tab - 1)
    sessions[#sessions + 1] = line:sub(tab + 1)
  end
  turn = ${start} + thread_index - 1 - thread_count
end
function request()
  turn = turn + thread_count
  local k = turn % #auths + 1
  local h = {}
  for key, v in pairs(wrk.headers) do h[key] = v end
  h["authorization"] = auths[k]
  return wrk.format(nil, nil, h, string.format([==[${body}]==], sessions[k]))
end`;
}
