/**
 * Benchmark peer "sdk-v1": `user_get_profile` served the way the MCP SDK v1 documents a
 * bearer-protected stateless server. Express (from the SDK's `createMcpExpressApp`, which adds its
 * localhost Host check and the JSON body parser), the SDK's `requireBearerAuth` in front of `/mcp`
 * with a jose verifier (ES256, issuer, audience, RFC 9068 `typ`), and per request a fresh
 * `McpServer` and `StreamableHTTPServerTransport` (no session ids, JSON answers). One `pg` query
 * per call, on a pool of 10.
 *
 * Runs under Node from a scratch directory that `bench/lib/peers.ts` installs; never part of the
 * kit. Environment: PORT (0: any), DATABASE_URL, JWKS (a public JWK set as JSON), ISSUER, AUDIENCE.
 *
 * @module
 */
import { createRequire } from "node:module";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createLocalJWKSet, jwtVerify } from "jose";
import { z } from "zod";

// Loaded with require, not imported: the repository's `deno check bench/` walks this file with the
// kit's import map, which has no pg (pg is CommonJS, so Node loads it the same either way).
const { Pool } = createRequire(import.meta.url)("pg");

const env = (name) => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} must be set`);
  return value;
};
const issuer = env("ISSUER");
const audience = env("AUDIENCE");
const keys = createLocalJWKSet(JSON.parse(env("JWKS")));
const pool = new Pool({ connectionString: env("DATABASE_URL"), max: 10 });
// An idle client losing its connection must not take the process down.
pool.on("error", (error) => console.error(`pg pool: ${error.message}`));

/** The SDK's token verifier contract: a verified token's AuthInfo, or InvalidTokenError (401). */
const verifier = {
  async verifyAccessToken(token) {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: ["ES256"],
        typ: "at+jwt",
      }));
    } catch (error) {
      throw new InvalidTokenError(`token not accepted (${error.code ?? error.message})`);
    }
    return {
      token,
      clientId: String(payload.client_id ?? ""),
      scopes: typeof payload.scope === "string" ? payload.scope.split(" ") : [],
      expiresAt: payload.exp,
      extra: { sub: payload.sub },
    };
  },
};

/** The same row and columns the kit's user_get_profile reads, in one query. */
const PROFILE_QUERY =
  `SELECT u.id, u.email, u.created_at, u.last_seen_at, s.state, s.version, s.updated_at
  FROM users u JOIN user_state s ON s.user_id = u.id WHERE u.id = $1`;

const outputSchema = {
  profile: z.object({
    id: z.string(),
    email: z.string().nullable(),
    memberSince: z.string(),
    previousVisit: z.string().nullable(),
  }),
  state: z.object({
    data: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    updatedAt: z.string(),
  }),
};

/** A fresh server with the one tool, as the SDK's stateless examples build one per request. */
function buildServer() {
  const server = new McpServer({ name: "bench-peer-sdk-v1", version: "1.0.0" });
  server.registerTool(
    "user_get_profile",
    {
      title: "Read the user's profile and saved state",
      description: "Returns who the signed-in user is and everything saved for them.",
      inputSchema: {},
      outputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    async (_args, { authInfo }) => {
      const { rows } = await pool.query(PROFILE_QUERY, [authInfo.extra.sub]);
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
    },
  );
  return server;
}

const app = createMcpExpressApp();
app.post("/mcp", requireBearerAuth({ verifier }), async (req, res) => {
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on("close", () => {
    transport.close();
    server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch (error) {
    console.error(`mcp: ${error.message}`);
    if (!res.headersSent) {
      res.status(500).json({
        jsonrpc: "2.0",
        error: { code: -32603, message: "Internal server error" },
        id: null,
      });
    }
  }
});

const listener = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", (error) => {
  if (error) throw error;
  console.log(`listening on http://127.0.0.1:${listener.address().port}`);
});
