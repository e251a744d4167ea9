/**
 * Benchmark peer "floor": the least a correct server can do for `user_get_profile` — `Deno.serve`,
 * the bearer token verified with jose (ES256, issuer, audience, RFC 9068 `typ`; keys imported
 * once), one `pg` query on a pool of 10, and the JSON-RPC answer as `application/json`. It also
 * answers `initialize`, `tools/list` and `ping` minimally so a client can talk to it; there is no
 * session, no schema validation and no protocol negotiation beyond echoing a known version.
 *
 * Runs with its own `deno.json` from a scratch directory that `bench/lib/peers.ts` installs; never
 * part of the kit. Environment: PORT (0: any), DATABASE_URL, JWKS (a public JWK set as JSON),
 * ISSUER, AUDIENCE.
 *
 * @module
 */
import { createRequire } from "node:module";
import { importJWK, type JSONWebKeySet, type JWTHeaderParameters, jwtVerify } from "jose";

/** The part of pg's Pool this server uses. */
interface PgPool {
  query<Row>(text: string, values: unknown[]): Promise<{ rows: Row[] }>;
  on(event: "error", listener: (error: Error) => void): void;
}

// Loaded with require, not imported: the repository's `deno check bench/` walks this file with the
// kit's import map, which has no pg (pg is CommonJS; at run time this directory's deno.json and
// node_modules provide it).
const { Pool } = createRequire(import.meta.url)("pg") as {
  Pool: new (config: { connectionString: string; max: number }) => PgPool;
};

function env(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const ISSUER = env("ISSUER");
const AUDIENCE = env("AUDIENCE");
const KNOWN_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"];
const TOOL = "user_get_profile";

const jwks = JSON.parse(env("JWKS")) as JSONWebKeySet;
const keys = new Map<string | undefined, CryptoKey>();
for (const jwk of jwks.keys) {
  keys.set(jwk.kid, (await importJWK(jwk, "ES256")) as CryptoKey);
}

const pool = new Pool({ connectionString: env("DATABASE_URL"), max: 10 });
// An idle client losing its connection must not take the process down.
pool.on("error", (error) => console.error(`pg pool: ${error.message}`));

/** The same row and columns the kit's user_get_profile reads, in one query. */
const PROFILE_QUERY =
  `SELECT u.id, u.email, u.created_at, u.last_seen_at, s.state, s.version, s.updated_at
  FROM users u JOIN user_state s ON s.user_id = u.id WHERE u.id = $1`;

interface ProfileRow {
  id: string;
  email: string | null;
  created_at: Date;
  last_seen_at: Date | null;
  state: Record<string, unknown>;
  version: string;
  updated_at: Date;
}

function keyFor(header: JWTHeaderParameters): CryptoKey {
  const key = keys.get(header.kid);
  if (!key) throw new Error("no key with that kid");
  return key;
}

/** The token's subject, or null for anything that is not a valid access token for us. */
async function verifiedSubject(request: Request): Promise<string | null> {
  const header = request.headers.get("authorization") ?? "";
  if (!/^bearer /i.test(header)) return null;
  try {
    const { payload } = await jwtVerify(header.slice(7).trim(), keyFor, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256"],
      typ: "at+jwt",
    });
    return typeof payload.sub === "string" ? payload.sub : null;
  } catch {
    return null;
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

type Id = string | number | null;

const answer = (id: Id, result: unknown) => json({ jsonrpc: "2.0", id, result });
const failure = (id: Id, code: number, message: string, status = 200) =>
  json({ jsonrpc: "2.0", id, error: { code, message } }, status);

async function profileResult(sub: string): Promise<unknown> {
  const { rows } = await pool.query<ProfileRow>(PROFILE_QUERY, [sub]);
  if (rows.length === 0) {
    return { isError: true, content: [{ type: "text", text: "No record for this user." }] };
  }
  const row = rows[0];
  const structuredContent = {
    profile: {
      id: row.id,
      email: row.email,
      memberSince: row.created_at.toISOString(),
      previousVisit: row.last_seen_at?.toISOString() ?? null,
    },
    state: {
      data: row.state,
      version: Number(row.version),
      updatedAt: row.updated_at.toISOString(),
    },
  };
  return {
    content: [{ type: "text", text: JSON.stringify(structuredContent) }],
    structuredContent,
  };
}

async function serveMcp(request: Request): Promise<Response> {
  const sub = await verifiedSubject(request);
  if (sub === null) {
    return new Response(null, {
      status: 401,
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
    });
  }
  let message: { id?: Id; method?: unknown; params?: Record<string, unknown> };
  try {
    message = await request.json();
  } catch {
    return failure(null, -32700, "Parse error", 400);
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return failure(null, -32600, "Invalid request", 400);
  }
  const { id = null, method, params = {} } = message;
  // A notification (no id) needs no answer.
  if (message.id === undefined) return new Response(null, { status: 202 });
  switch (method) {
    case "tools/call":
      if (params.name !== TOOL) return failure(id, -32602, `Unknown tool: ${params.name}`);
      return answer(id, await profileResult(sub));
    case "initialize": {
      const asked = String(params.protocolVersion);
      return answer(id, {
        protocolVersion: KNOWN_VERSIONS.includes(asked) ? asked : KNOWN_VERSIONS[0],
        capabilities: { tools: {} },
        serverInfo: { name: "bench-peer-floor", version: "1.0.0" },
      });
    }
    case "tools/list":
      return answer(id, {
        tools: [{
          name: TOOL,
          description: "Returns who the signed-in user is and everything saved for them.",
          inputSchema: { type: "object", properties: {} },
        }],
      });
    case "ping":
      return answer(id, {});
    default:
      return failure(id, -32601, "Method not found");
  }
}

const server = Deno.serve(
  { port: Number(Deno.env.get("PORT") ?? 0), hostname: "127.0.0.1", onListen: () => {} },
  async (request) => {
    if (new URL(request.url).pathname !== "/mcp") return new Response(null, { status: 404 });
    if (request.method !== "POST") return new Response(null, { status: 405 });
    try {
      return await serveMcp(request);
    } catch (error) {
      console.error(`mcp: ${error instanceof Error ? error.message : error}`);
      return failure(null, -32603, "Internal error", 500);
    }
  },
);
console.log(`listening on http://127.0.0.1:${server.addr.port}`);
