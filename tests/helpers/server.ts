/**
 * Starts the real server on a free port with its own temporary `DATA_DIR`, and mints tokens with
 * the very key that server publishes.
 *
 * @module
 */
import { type AccessTokenClaims, issueAccessToken } from "../../src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "../../src/signin/signing_key.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import type { Config } from "../../src/config.ts";
import type { Pack } from "../../src/pack/mod.ts";
import { selectPack } from "../../src/domains/registry.ts";
import { createTestDatabase, type PostgresDriver, type TestDatabase } from "./postgres.ts";

/** A server under test. */
export interface TestServer extends AsyncDisposable {
  config: Config;
  /** The server's KV handle and store, for fault injection. */
  resources: RunningServer["resources"];
  /** The PostgreSQL database behind it (absent on PGlite). */
  database?: TestDatabase;
  /** The `/mcp` URL. */
  mcpUrl: string;
  /** Request log lines written so far (parsed). */
  logs: Record<string, unknown>[];
  /**
   * Resolves with the first log line matching `predicate`. Lines are written once a response has
   * been sent, so they can trail the response the client already holds.
   */
  logLine(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Where the server is reachable here (differs from `config.publicUrl` when that is a public name). */
  localOrigin: string;
  /** Mints a token from the server's development key; any claim can be overridden. */
  mint(claims?: Partial<AccessTokenClaims>): Promise<string>;
  /** Sends a POST to `/mcp` with JSON body and the given headers. */
  post(body: unknown, headers?: HeadersInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts a server; extra `env` entries override the defaults. By default the store is a fresh
 * PostgreSQL database reached through the Neon driver (fast to create), or through `driver`;
 * `database: "pglite"` uses the embedded default instead; `"postgres-plain"` a fresh PostgreSQL
 * database owned by and reached as a role that is neither superuser nor `BYPASSRLS`, as on a
 * managed PostgreSQL.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: {
    database?: "postgres" | "pglite" | "postgres-plain";
    driver?: PostgresDriver;
    pack?: Pack;
  } = {},
): Promise<TestServer> {
  const pack = options.pack ?? await selectPack(env.DOMAIN);
  const dataDir = await Deno.makeTempDir({ prefix: "kit-test-" });
  let database: TestDatabase | undefined;
  let server: RunningServer;
  const logs: Record<string, unknown>[] = [];
  try {
    const dbEnv: Record<string, string> = {};
    const backend = options.database ?? "postgres";
    if (backend !== "pglite" && !env.DATABASE_URL) {
      database = await createTestDatabase({
        owner: backend === "postgres-plain" ? "plain" : "superuser",
        driver: options.driver,
      });
      Object.assign(dbEnv, database.env);
    }
    server = await startServer({
      env: { PORT: "0", DATA_DIR: dataDir, ...dbEnv, ...env },
      pack,
      logSink: (line) => logs.push(JSON.parse(line)),
    });
  } catch (error) {
    await database?.[Symbol.asyncDispose]();
    await Deno.remove(dataDir, { recursive: true });
    throw error;
  }
  const { config } = server;
  const close = async () => {
    await server.shutdown();
    await database?.[Symbol.asyncDispose]();
    await Deno.remove(dataDir, { recursive: true });
  };
  return {
    config,
    resources: server.resources,
    database,
    mcpUrl: config.resourceUrl,
    localOrigin: `http://localhost:${config.port}`,
    logs,
    async logLine(predicate) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const line = logs.find(predicate);
        if (line) return line;
        if (Date.now() > deadline) throw new Error("no such log line");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
    async mint(claims = {}) {
      const key = await loadOrCreateSigningKey(config.dataDir);
      return await issueAccessToken(key, {
        issuer: config.auth.issuer,
        audience: config.resourceUrl,
        sub: "alice",
        scope: config.requiredScopes.join(" "),
        clientId: "test-client",
        ttlSeconds: 300,
        ...claims,
      });
    },
    post(body, headers = {}) {
      const h = new Headers(headers);
      if (!h.has("content-type")) h.set("content-type", "application/json");
      if (!h.has("accept")) h.set("accept", "application/json, text/event-stream");
      return fetch(config.resourceUrl, {
        method: "POST",
        headers: h,
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A 2025-11-25 `initialize` request body. */
export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "test", version: "1" },
  },
};

/** Parses the JSON-RPC message of a response that is JSON or a one-message SSE stream. */
export async function readRpc(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    const data = text.split("\n").find((line) => line.startsWith("data: "));
    if (!data) throw new Error(`no SSE data in ${text}`);
    return JSON.parse(data.slice(6));
  }
  return JSON.parse(text);
}
