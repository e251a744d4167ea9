/**
 * The one place the environment is read. Every variable is parsed and validated here into a typed
 * {@linkcode Config}; a bad value stops start-up with a message naming the variable.
 *
 * @module
 */
import { z } from "zod";
import { StartupError } from "./errors.ts";

/** Scope every access token must carry to use `/mcp`, unless `AUTH_REQUIRED_SCOPES` says otherwise. */
export const DEFAULT_SCOPE = "mcp";

/** Where the access tokens come from. */
export type IssuerConfig =
  | {
    /** The bundled development issuer on this server's own origin. */
    kind: "development";
    /** Exactly `PUBLIC_URL` (its origin, no trailing slash). */
    issuer: string;
    /** Where its public keys are published. */
    jwksUrl: string;
    /** Lifetime of issued access tokens, seconds. */
    accessTokenTtlSeconds: number;
    /** Lifetime of a refresh-token family, seconds. */
    refreshTokenTtlSeconds: number;
    /** New dynamic client registrations accepted per hour. */
    registrationsPerHour: number;
    /**
     * Hostnames whose client metadata documents may be fetched even though they resolve to
     * loopback or private addresses. Development and tests only.
     */
    metadataDocumentHostAllowlist: string[];
    /** Whether every page must warn that this is the open development sign-in (set on Deploy). */
    warnOnPages: boolean;
  }
  | {
    /** An external authorization server (production). */
    kind: "external";
    /** The issuer identifier, compared exactly with the `iss` claim. */
    issuer: string;
    /** Its JWKS URL; `undefined` means discover it from the issuer's metadata. */
    jwksUrl?: string;
  };

/** The validated configuration of one running server. */
export interface Config {
  /** The domain pack to serve (`DOMAIN`); `undefined` means the build's default pack. */
  domain?: string;
  /** TCP port to listen on. */
  port: number;
  /** Interface to bind. Loopback by default so a development server is not reachable from the LAN. */
  bindHost: string;
  /** The public origin people and hosts reach this server at (no trailing slash). */
  publicUrl: string;
  /** The MCP endpoint's resource identifier (RFC 8707); access tokens must name it in `aud`. */
  resourceUrl: string;
  /** Directory for development state (signing key, embedded database). */
  dataDir: string;
  /** The access-token issuer. */
  auth: IssuerConfig;
  /** Scopes every `/mcp` request's token must carry. */
  requiredScopes: string[];
  /**
   * Scopes hosts are told to request (`AUTH_REQUEST_SCOPES`); unset, the required ones plus
   * `offline_access` where an external issuer offers it (its refresh tokens need it).
   */
  requestScopes?: string[];
  /** Extra hostnames whose browser `Origin` may call `/mcp`. */
  allowedOrigins: string[];
  /** Largest accepted `/mcp` request body, in bytes. */
  maxBodyBytes: number;
  /**
   * Longest a request body may go without a new chunk, ms; the whole body gets four times this.
   * A body that stalls is answered 408.
   */
  bodyIdleTimeoutMs: number;
  /**
   * `/mcp` requests one person may have open at once (more are answered 429). The default, 8, is
   * below the database pool's 10 connections: one person's calls waiting on their own row lock
   * cannot take every connection from everyone else.
   */
  maxOpenPerPerson: number;
  /**
   * After a shutdown signal, how long the server keeps accepting and serving while readiness
   * answers "draining", ms (`SHUTDOWN_DRAIN_MS`), so a balancer stops sending before the listener
   * closes. The requests in flight then get the rest of the shutdown's bound to finish.
   */
  shutdownDrainMs: number;
  /** Running on Deno Deploy (`DENO_DEPLOY` set). */
  onDeploy: boolean;
  /** Production rules apply (`DENO_DEPLOY` set or `APP_ENV=production`). */
  production: boolean;
  /**
   * Whether a pack's read tools run in read-only transactions (`DEV_READ_ONLY_READS`): on by
   * default in development, where a read tool that writes is then refused by the database and the
   * builder sees why; never in production. It costs a transaction per query, so benchmarks of the
   * production path turn it off.
   */
  readOnlyReads: boolean;
  /**
   * Whether a single `tools/call` is served on the direct path (`MCP_DIRECT_CALLS`, on unless
   * `0`): the same answer as the SDK's per-request server, at a fraction of its cost. Off sends
   * every request through the SDK (for comparison, or should a client ever disagree).
   */
  directCalls: boolean;
  /**
   * OpenTelemetry (`OTEL_DENO=true`, Deno's own switch: Deno then exports traces, metrics and logs
   * over OTLP, configured by the standard `OTEL_*` variables): a span per MCP message. Off, the kit
   * makes none.
   */
  telemetry: boolean;
  /**
   * Tool arguments and results on the spans too (`OTEL_KIT_CAPTURE_CONTENT=true`): the person's
   * words and data leave the server with the telemetry, so only on this explicit opt-in (never a
   * default, in production or not; the session token is always left out).
   */
  telemetryContent: boolean;
  /** Deno KV location; `undefined` means the platform default (Deno Deploy). */
  kvPath?: string;
  /** Where people's saved state and the pack's tables live. */
  database: DatabaseConfig;
  /** Session tokens. */
  session: SessionConfig;
  /** Largest saved state per person, bytes of JSON. */
  stateMaxBytes: number;
  /** History kept per person: the last `keep` changes, and any younger than `keepDays`. */
  history: { keep: number; keepDays: number; maxBytes: number };
}

/** The Postgres backend. */
export type DatabaseConfig =
  | PostgresConfig
  | {
    /** Embedded PGlite in `dir` (the default). */
    kind: "pglite";
    dir: string;
    /** Deadline of every store call, ms. */
    timeoutMs: number;
  };

/**
 * How the kit reaches PostgreSQL (`DATABASE_DRIVER`): `tcp` is `pg` over TCP, for any PostgreSQL
 * the process can reach; `neon` is `@neondatabase/serverless` over a WebSocket, for runtimes
 * without outbound TCP (Neon's WebSocket proxy, or plain PostgreSQL behind a relay).
 */
export type PostgresDriver = "tcp" | "neon";

/** A PostgreSQL server at `DATABASE_URL`, through one of the two drivers. */
export interface PostgresConfig {
  kind: "postgres";
  driver: PostgresDriver;
  url: string;
  /** `host:port` of a plain WebSocket relay in front of PostgreSQL (`neon` only); unset for Neon. */
  wsProxy?: string;
  /** Deadline of every store call, ms. */
  timeoutMs: number;
  /**
   * Statements with parameters prepared once per connection under a name
   * (`DATABASE_PREPARED_STATEMENTS`, on unless `0`): off for a pooler in transaction mode that
   * cannot keep prepared statements.
   */
  preparedStatements: boolean;
}

/**
 * The host a `postgres://` URL names, read as both drivers read it (node-postgres's
 * `pg-connection-string`: spaces and stray `%` encoded first, an empty host allowed); `undefined`
 * when they cannot read it. Checked at start because a driver's own "Invalid URL" error quotes
 * the whole URL, password included, into whatever logs it.
 */
function postgresUrlHost(url: string): string | undefined {
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url)
    ? encodeURI(url).replace(/%25(\d\d)/g, "%$1")
    : url;
  for (const candidate of [text, text.replace("@/", "@___DUMMY___/")]) {
    try {
      const host = new URL(candidate, "postgres://base").hostname;
      return candidate === text ? host.replace(/^\[(.+)\]$/, "$1").toLowerCase() : "";
    } catch { /* not a URL this way */ }
  }
  return undefined;
}

/**
 * The driver when `DATABASE_DRIVER` is unset: `neon` with a WebSocket relay or a Neon host (its
 * WebSocket proxy serves every Neon endpoint), `tcp` for any other PostgreSQL — so a URL of a
 * plain PostgreSQL works as it is, with nothing in between.
 */
function defaultDriver(url: string, wsProxy: string | undefined): PostgresDriver {
  if (wsProxy) return "neon";
  return postgresUrlHost(url)?.endsWith(".neon.tech") ? "neon" : "tcp";
}

/** How session tokens are made. */
export interface SessionConfig {
  /** Lifetime of a session token, seconds. */
  ttlSeconds: number;
  /** Sessions one person may start per minute. */
  startsPerMinute: number;
  /** The HMAC secret; `undefined` means generate one under `DATA_DIR` (development only). */
  signingSecret?: string;
}

/** Raised when the environment does not describe a valid configuration. */
export class ConfigError extends StartupError<"invalid_configuration"> {
  /** Creates the error; `message` names the offending variables. */
  constructor(message: string) {
    super("invalid_configuration", message);
  }
}

// Kept verbatim: `iss` and `aud` are compared as exact strings, and some issuers end theirs in "/".
const httpUrl = z.url({ protocol: /^https?$/ });
const origin = httpUrl.transform((s) => s.replace(/\/+$/, ""));
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const list = z.string().transform((s) => s.split(/[\s,]+/).filter(Boolean));

const EnvSchema = z.object({
  PORT: optional(z.coerce.number().int().min(0).max(65535)),
  BIND_HOST: optional(z.string().min(1)),
  PUBLIC_URL: optional(origin),
  RESOURCE_URL: optional(httpUrl),
  DATA_DIR: optional(z.string().min(1)),
  AUTH_ISSUER: optional(httpUrl),
  AUTH_JWKS_URL: optional(httpUrl),
  AUTH_REQUIRED_SCOPES: optional(list),
  AUTH_REQUEST_SCOPES: optional(list),
  ALLOWED_ORIGINS: optional(list),
  MAX_BODY_BYTES: optional(z.coerce.number().int().min(1024).max(16 * 1024 * 1024)),
  BODY_IDLE_TIMEOUT_MS: optional(z.coerce.number().int().min(100).max(600_000)),
  MCP_MAX_OPEN_PER_PERSON: optional(z.coerce.number().int().min(1).max(10_000)),
  SHUTDOWN_DRAIN_MS: optional(z.coerce.number().int().min(0).max(60_000)),
  ACCESS_TOKEN_TTL: optional(z.coerce.number().int().min(60).max(24 * 3600)),
  REFRESH_TOKEN_TTL: optional(z.coerce.number().int().min(3600).max(365 * 24 * 3600)),
  DCR_MAX_PER_HOUR: optional(z.coerce.number().int().min(1).max(100_000)),
  CIMD_ALLOW_PRIVATE_HOSTS: optional(list),
  KV_PATH: optional(z.string().min(1)),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  DATABASE_WS_PROXY: optional(z.string().regex(/^[^\s/]+:\d+$/, "must be host:port")),
  DATABASE_DRIVER: optional(
    z.enum(["tcp", "neon"], {
      error: "must be tcp (PostgreSQL over TCP) or neon (Neon's driver, over a WebSocket)",
    }),
  ),
  STORE_TIMEOUT_MS: optional(z.coerce.number().int().min(50).max(60_000)),
  SESSION_TTL: optional(z.coerce.number().int().min(60).max(24 * 3600)),
  SESSION_SIGNING_SECRET: optional(z.string().min(32, "must be at least 32 characters")),
  STATE_MAX_BYTES: optional(z.coerce.number().int().min(1024).max(1024 * 1024)),
  SESSION_STARTS_PER_MINUTE: optional(z.coerce.number().int().min(1).max(1_000_000)),
  APP_ENV: optional(z.enum(["development", "production"])),
  DENO_DEPLOY: optional(z.string()),
  DEV_SIGNIN_ON_DEPLOY: optional(z.enum(["0", "1"])),
  DEV_READ_ONLY_READS: optional(z.enum(["0", "1"])),
  MCP_DIRECT_CALLS: optional(z.enum(["0", "1"])),
  DATABASE_PREPARED_STATEMENTS: optional(z.enum(["0", "1"])),
  OTEL_DENO: optional(z.string()),
  OTEL_KIT_CAPTURE_CONTENT: optional(z.enum(["true", "false"])),
  DOMAIN: optional(z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a pack id like my_pack")),
  HISTORY_KEEP: optional(z.coerce.number().int().min(1).max(10_000)),
  HISTORY_DAYS: optional(z.coerce.number().int().min(0).max(3650)),
  HISTORY_MAX_BYTES: optional(z.coerce.number().int().min(64 * 1024).max(256 * 1024 * 1024)),
});

/** Every variable the server reads. */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/**
 * Parses an environment into a {@linkcode Config}.
 *
 * @param env Variables by name, e.g. `Deno.env.toObject()`.
 * @throws {ConfigError} naming every invalid variable.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Every problem is reported at once, one line each, naming the variable and never its value.
  const parsed = EnvSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  const given = (name: string) => (env[name] ?? "") !== "";
  const onDeploy = given("DENO_DEPLOY");
  const production = onDeploy || env.APP_ENV === "production";
  const port = parsed.data?.PORT ?? 8000;
  const publicUrl = parsed.data?.PUBLIC_URL ?? `http://localhost:${port}`;

  if (parsed.success && new URL(publicUrl).pathname !== "/") {
    problems.push("PUBLIC_URL: must be an origin without a path");
  }
  if (given("AUTH_JWKS_URL") && !given("AUTH_ISSUER")) {
    problems.push("AUTH_JWKS_URL: only meaningful together with AUTH_ISSUER");
  }
  if (given("DATABASE_WS_PROXY") && !given("DATABASE_URL")) {
    problems.push("DATABASE_WS_PROXY: only meaningful together with DATABASE_URL");
  }
  if (parsed.data?.DATABASE_URL && postgresUrlHost(parsed.data.DATABASE_URL) === undefined) {
    problems.push(
      "DATABASE_URL: not a URL the PostgreSQL drivers can read; percent-encode any @ : / ? # [ ] " +
        "in the user name and password",
    );
  }
  if (given("DATABASE_DRIVER") && !given("DATABASE_URL")) {
    problems.push("DATABASE_DRIVER: only meaningful together with DATABASE_URL");
  }
  if (given("DATABASE_WS_PROXY") && env.DATABASE_DRIVER === "tcp") {
    // A relay the tcp driver would never use: the URL's server is reached directly, not through it.
    problems.push(
      "DATABASE_WS_PROXY: only used by DATABASE_DRIVER=neon (tcp connects to DATABASE_URL's " +
        "host directly); unset it, or set DATABASE_DRIVER=neon",
    );
  }
  const requested = parsed.data?.AUTH_REQUEST_SCOPES;
  if (requested) {
    const required = parsed.data?.AUTH_REQUIRED_SCOPES ?? [DEFAULT_SCOPE];
    const missing = required.filter((scope) => !requested.includes(scope));
    if (missing.length > 0) {
      problems.push(
        `AUTH_REQUEST_SCOPES: must include every required scope (missing ${missing.join(", ")}), ` +
          "or hosts get tokens /mcp refuses",
      );
    }
  }
  if (production) {
    if (!given("SESSION_SIGNING_SECRET")) {
      problems.push("SESSION_SIGNING_SECRET: required in production (32+ random characters)");
    }
    if (!given("DATABASE_URL")) {
      problems.push(
        "DATABASE_URL: required in production (embedded PGlite is for development); point it at " +
          "your PostgreSQL (Neon, Supabase, RDS, …)",
      );
    }
    if (!env.PUBLIC_URL?.startsWith("https://")) {
      problems.push("PUBLIC_URL: must be set to the public https:// address in production");
    }
    if (given("AUTH_ISSUER") && !env.AUTH_ISSUER!.startsWith("https://")) {
      problems.push("AUTH_ISSUER: must be an https:// issuer in production");
    }
    if (given("AUTH_JWKS_URL") && !env.AUTH_JWKS_URL!.startsWith("https://")) {
      problems.push("AUTH_JWKS_URL: must be https:// in production");
    }
    if (!given("AUTH_ISSUER") && env.DEV_SIGNIN_ON_DEPLOY !== "1") {
      // Anyone can sign in as anyone through the development issuer: never by accident in public.
      problems.push(
        "AUTH_ISSUER: required in production (the development sign-in lets anyone sign in as " +
          "anyone; set DEV_SIGNIN_ON_DEPLOY=1 to run it there on purpose)",
      );
    }
  }
  if (problems.length > 0 || !parsed.success) {
    const unique = [...new Set(problems)];
    throw new ConfigError(`Invalid configuration:\n${unique.map((p) => `  ${p}`).join("\n")}`);
  }
  const e = parsed.data;

  const auth: IssuerConfig = e.AUTH_ISSUER
    ? { kind: "external", issuer: e.AUTH_ISSUER, jwksUrl: e.AUTH_JWKS_URL }
    : {
      kind: "development",
      issuer: publicUrl,
      jwksUrl: `${publicUrl}/.well-known/jwks.json`,
      // 24 h: claude.ai rarely refreshes, and a revoked grant's access tokens stop within 30 s anyway.
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL ?? 24 * 3600,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL ?? 30 * 24 * 3600,
      registrationsPerHour: e.DCR_MAX_PER_HOUR ?? 100,
      metadataDocumentHostAllowlist: e.CIMD_ALLOW_PRIVATE_HOSTS ?? [],
      warnOnPages: production,
    };
  const dataDir = e.DATA_DIR ?? ".data";
  return {
    domain: e.DOMAIN,
    port,
    bindHost: e.BIND_HOST ?? "127.0.0.1",
    publicUrl,
    resourceUrl: e.RESOURCE_URL ?? `${publicUrl}/mcp`,
    dataDir,
    auth,
    requiredScopes: e.AUTH_REQUIRED_SCOPES ?? [DEFAULT_SCOPE],
    ...(e.AUTH_REQUEST_SCOPES ? { requestScopes: e.AUTH_REQUEST_SCOPES } : {}),
    allowedOrigins: e.ALLOWED_ORIGINS ?? [],
    maxBodyBytes: e.MAX_BODY_BYTES ?? 1024 * 1024,
    bodyIdleTimeoutMs: e.BODY_IDLE_TIMEOUT_MS ?? 30_000,
    maxOpenPerPerson: e.MCP_MAX_OPEN_PER_PERSON ?? 8,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS ?? 1_500,
    onDeploy,
    production,
    readOnlyReads: !production && e.DEV_READ_ONLY_READS !== "0",
    directCalls: e.MCP_DIRECT_CALLS !== "0",
    telemetry: e.OTEL_DENO === "true" || e.OTEL_DENO === "1",
    telemetryContent: e.OTEL_KIT_CAPTURE_CONTENT === "true",
    kvPath: e.KV_PATH ?? (onDeploy ? undefined : `${dataDir}/kv.sqlite3`),
    database: e.DATABASE_URL
      ? {
        kind: "postgres",
        driver: e.DATABASE_DRIVER ?? defaultDriver(e.DATABASE_URL, e.DATABASE_WS_PROXY),
        url: e.DATABASE_URL,
        ...(e.DATABASE_WS_PROXY ? { wsProxy: e.DATABASE_WS_PROXY } : {}),
        timeoutMs: e.STORE_TIMEOUT_MS ?? 5_000,
        preparedStatements: e.DATABASE_PREPARED_STATEMENTS !== "0",
      }
      : { kind: "pglite", dir: `${dataDir}/pglite`, timeoutMs: e.STORE_TIMEOUT_MS ?? 5_000 },
    session: {
      ttlSeconds: e.SESSION_TTL ?? 1800,
      startsPerMinute: e.SESSION_STARTS_PER_MINUTE ?? 60,
      signingSecret: e.SESSION_SIGNING_SECRET,
    },
    stateMaxBytes: e.STATE_MAX_BYTES ?? 64 * 1024,
    history: {
      keep: e.HISTORY_KEEP ?? 200,
      keepDays: e.HISTORY_DAYS ?? 90,
      maxBytes: e.HISTORY_MAX_BYTES ?? 4 * 1024 * 1024,
    },
  };
}

/** The process environment, read once: the only read of it in the server. */
export function processEnvironment(): Record<string, string> {
  return Deno.env.toObject();
}

/** Reads the process environment and parses it. */
export function loadConfig(): Config {
  return parseConfig(processEnvironment());
}
