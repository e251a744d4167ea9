/**
 * Start-up: turns an environment into a listening server.
 *
 * @module
 */
import { createAccessVerifier } from "./auth/access_verifier.ts";
import { type RemoteKeys, remoteKeys } from "./auth/key_source.ts";
import { createApp } from "./app.ts";
import {
  type EmbeddedDatabaseHold,
  holdEmbeddedDatabase,
  preparePrivateDataDir,
} from "./data_dir.ts";
import { type Config, parseConfig, processEnvironment } from "./config.ts";
import { StartupError } from "./errors.ts";
import { pathExists } from "./path_exists.ts";
import { enableTracing, inSpan } from "./tracing.ts";
import { enableContentCapture } from "./observability/telemetry.ts";
import type { Pack, PackBrand } from "./pack/mod.ts";
import { loadPack } from "./pack/kit_side.ts";
import { describeContentFailure, FixedContentError } from "./pack/fixed_content.ts";
import {
  type Guidance,
  loadGuidance,
  PlaceholderGuidanceError,
  placeholderProblem,
} from "./guidance.ts";
import { drainingReadiness, readinessCheck, sharedReadiness } from "./health/readiness.ts";
import { createRateLimiter } from "./kv/rate_limit.ts";
import { type KvHandle, openKvHandle } from "./kv/kv_handle.ts";
import { backfillPersonIndex, deletePersonRecords } from "./kv/person_keys.ts";
import { SIGNIN_PERSON_RECORDS } from "./signin/person_records.ts";
import { createSessions, loadSessionSecret, SESSION_PERSON_RECORDS } from "./session/sessions.ts";
import { type SigninContext, signinContextFor } from "./signin/context.ts";
import { isGrantRevoked } from "./signin/grants.ts";
import { writeIssuerRecord } from "./signin/issuer_record.ts";
import { createSigninLimits } from "./signin/limits.ts";
import {
  loadOrCreateSigningKey,
  loadOrCreateSigningKeyInKv,
  publicJwks,
} from "./signin/signing_key.ts";
import { type Database, openDatabase } from "./store/database.ts";
import type { SqlClient } from "./store/types.ts";
import type { CoreServices } from "./tools/kit_tool.ts";
import { memoryRules } from "./tools/kit/user/mod.ts";
import { buildToolRegistry } from "./tools/registry.ts";
import type { LogSink } from "./observability/request_log.ts";
import { malformedRequestResponse } from "./http/request_shape.ts";
import { type CloseOptions, servingLifecycle } from "./http/lifecycle.ts";

/** A listening server. */
export interface RunningServer {
  /** The effective configuration (with the real port when `PORT=0`). */
  config: Config;
  /** How the served pack names itself. */
  brand: PackBrand;
  /** Process-wide resources, exposed for fault-injection tests. */
  resources: { kv: KvHandle; database: Database; sql: SqlClient };
  /** Where the server actually listens. */
  listening: { hostname: string; port: number };
  /**
   * Drains for `drainMs` (still serving; readiness says "draining"), stops accepting connections,
   * waits for the requests in flight (answering those left at `answerWithinMs` 503), then closes
   * the stores. Without options: no drain, no bound.
   */
  shutdown(options?: CloseOptions): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/** What a server is started from. */
export interface ServerOptions {
  /** Variables by name; the process environment when absent. */
  env?: Record<string, string | undefined>;
  /** The pack to serve; when absent, `choosePack` picks it by the configuration's `domain`. */
  pack?: Pack;
  /** Loads the pack a `DOMAIN` value names (`undefined`: the default pack). */
  choosePack?: (domain: string | undefined) => Promise<Pack>;
  /** Where request logs go (stdout by default). */
  logSink?: LogSink;
}

/**
 * Parses the environment, opens what the app needs, and serves the pack with it. With `PORT=0` the
 * system picks a free port and the default `PUBLIC_URL` follows it, which is how tests start real
 * servers side by side.
 *
 * @throws {ConfigError} when the environment is invalid.
 * @throws {UnknownPackError} when `DOMAIN` names no pack.
 * @throws {PackContractError} when the pack's tools break the contract.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const env = options.env ?? processEnvironment();
  let config = parseConfig(env);
  if (!options.pack && !options.choosePack) {
    throw new TypeError("startServer needs pack or choosePack");
  }
  const pack = options.pack ?? await options.choosePack!(config.domain);
  let handle: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response> =
    () => new Response("Starting up", { status: 503, headers: { "retry-after": "1" } });
  const lifecycle = servingLifecycle((request, info) =>
    malformedRequestResponse(request) ?? handle(request, info)
  );
  // Child spans (database, KV, token checks) only with OpenTelemetry on: off, none are made.
  if (config.telemetry) enableTracing();
  if (config.telemetry && config.telemetryContent) enableContentCapture();
  const server = serveOn(config, lifecycle.handler);
  let kv: KvHandle | undefined;
  let database: Database | undefined;
  let hold: EmbeddedDatabaseHold | undefined;
  let databaseReady: Promise<void> | undefined;
  try {
    if (config.port === 0) config = parseConfig({ ...env, PORT: String(server.addr.port) });
    // Deno Deploy has no local files; everywhere else the data directory is private from the start.
    if (!config.onDeploy) await preparePrivateDataDir(config.dataDir, config.kvPath);
    // Read before anything opens: a bad content file stops the start, naming the problem.
    const loaded = await inSpan("content load", { "kit.pack": pack.id }, () => loadPack(pack))
      .catch((error) => {
        throw error instanceof FixedContentError
          ? new ContentNotLoadedError("invalid_content", describeContentFailure(pack.id, error))
          : error;
      });
    const store = config.database;
    // PGlite has no lock of its own: this one keeps a second process (db:shell) off the files.
    if (store.kind === "pglite" && !config.onDeploy) {
      hold = await holdEmbeddedDatabase(store.dir);
      if (!hold) throw embeddedDatabaseInUse(store.dir);
    }
    // The embedded database's first creation takes seconds (a minute on a slow disk): said once.
    const creating = store.kind === "pglite" && !(await pathExists(store.dir));
    if (creating) console.log(`Creating the embedded database in ${store.dir} (first start only)…`);
    // The database opens (its driver loaded) and gets ready (connected, its schema brought up to
    // date) while the rest starts; the gate lifts only once it is ready, below.
    const opening = openDatabase(config.database, {
      namespace: pack.id,
      migrations: pack.migrations,
      content: loaded.content,
      forget: pack.forget,
    }, config.history).then((opened) => database = opened);
    // Before the gate lifts: whatever a newcomer does after the first 200 (mint, sign in, call)
    // must find everything in place, not wait on a first migration under a call's deadline. A
    // migration that fails or was changed after it ran stops the start.
    databaseReady = opening.then((opened) => prepareAtStart(opened, config));
    // Awaited later; until then a failure must not count as unhandled.
    databaseReady.catch(() => {});
    kv = await openKvHandle(config.kvPath, { timeoutMs: config.database.timeoutMs });
    // Once per KV store: records from before forgetting had an index get their entries.
    await kv.use((db) =>
      backfillPersonIndex(db, [SESSION_PERSON_RECORDS, ...SIGNIN_PERSON_RECORDS])
    );
    const sessionSecret = await loadSessionSecret(config.session.signingSecret, config.dataDir);
    const sessions = createSessions({
      kv,
      secret: sessionSecret,
      ttlSeconds: config.session.ttlSeconds,
      startsPerPerson: createRateLimiter(kv, {
        scope: "session-start",
        limit: config.session.startsPerMinute,
        windowMs: 60_000,
      }),
    });
    const guidance = await loadGuidance(pack.guidanceDir);
    if (guidance.placeholders.length > 0) {
      const problem = placeholderProblem(guidance.placeholders);
      // In production the model would relay the generator's words: refused. In development, loud.
      if (config.production) throw new PlaceholderGuidanceError("placeholder_guidance", problem);
      console.error(`warning: ${problem}`);
    }
    // An external issuer, checked at start (in development a mismatch stops it here) and in
    // readiness; its offer of offline_access decides what hosts are told to request.
    const issuerKeys = config.auth.kind === "external"
      ? remoteKeys({ issuer: config.auth.issuer, jwksUrl: config.auth.jwksUrl })
      : undefined;
    const issuerStart = issuerKeys ? checkIssuerAtStart(issuerKeys, config) : undefined;
    database = await opening;
    const readiness = drainingReadiness(
      sharedReadiness(
        readinessCheck({ database, kv, issuer: issuerKeys?.check }, { timeoutMs: 2_000 }),
        0,
      ),
      () => lifecycle.stopping,
    );
    const core: CoreServices = {
      users: database.users,
      sessions,
      guidance: withMemoryRules(guidance, pack.brand),
      brand: pack.brand,
      stateMaxBytes: config.stateMaxBytes,
      readiness,
      // The database first, then what KV holds of them: their sessions and session-start counts,
      // and the development sign-in's grants, codes and pending sign-ins (refresh tokens refused
      // at once, access tokens at /mcp within the 30 s grant check).
      atomically: (work) => database!.atomically(work),
      readOnly: (work) => database!.readOnly(work),
      asPerson: (sub, work) => database!.asPerson(sub, work),
      personalRows: (sub) => database!.personalRows(sub),
      forget: async (sub) => {
        await database!.forgetPerson(sub);
        await kv!.use((db) => deletePersonRecords(db, sub));
        await sessions.forgetStarts(sub);
      },
    };
    const registry = buildToolRegistry(pack, {
      brand: pack.brand,
      sessionMinutes: Math.round(config.session.ttlSeconds / 60),
      stateMaxBytes: config.stateMaxBytes,
    }, {
      callsPerPerson: config.maxOpenPerPerson,
      // Details of failures reach callers only with the open development sign-in, never in
      // production or behind a real issuer.
      development: !config.production && config.auth.kind === "development",
      readOnlyReads: config.readOnlyReads,
      scopes: config.requiredScopes,
      callBudgetMs: config.database.timeoutMs,
    });
    let signin: SigninContext | undefined;
    if (config.auth.kind === "development") {
      // Deno Deploy has no writable disk: there the key lives in KV.
      const signingKey = config.onDeploy
        ? await loadOrCreateSigningKeyInKv(await kv.get())
        : await loadOrCreateSigningKey(config.dataDir);
      // So that `deno task mint` with this DATA_DIR signs for this server, whatever its port.
      if (!config.onDeploy) {
        await writeIssuerRecord(config.dataDir, {
          issuer: config.auth.issuer,
          resourceUrl: config.resourceUrl,
          scopes: config.requiredScopes,
        });
      }
      signin = signinContextFor(config, {
        kv,
        signingKey,
        brand: pack.brand,
        limits: createSigninLimits(kv, config.auth.registrationsPerHour),
      });
    }
    // Tokens of the bundled issuer name their grant: once it is revoked they stop working at /mcp.
    const signinKv = kv;
    const verifyAccess = createAccessVerifier(
      config,
      signin && publicJwks(signin.signingKey),
      signin && ((grantId) => signinKv.use((db) => isGrantRevoked(db, grantId))),
      issuerKeys,
    );
    // Development waits for the issuer's answer, so a mismatch stops the start; production goes
    // on (the issuer may be briefly down) and keeps asking, reporting it in /readyz.
    if (issuerStart && !config.production) await issuerStart;
    await databaseReady;
    if (creating) console.log("The embedded database is ready.");
    handle = createApp({
      config,
      verifyAccess,
      core,
      registry,
      pack: loaded.open(database.sql),
      signin,
      subjectKey: await logSubjectKey(sessionSecret),
      logSink: options.logSink,
      requestScopes: requestScopesFor(config, issuerKeys),
    }).fetch as typeof handle;
  } catch (error) {
    await server.shutdown();
    kv?.close();
    // A database still getting ready is closed once it is open.
    await databaseReady?.catch(() => {});
    await database?.close();
    hold?.release();
    throw error;
  }
  const resources = { kv, database, sql: database.raw };
  const shutdown = async (options?: CloseOptions) => {
    // The stores close only once every accepted request has its answer.
    await lifecycle.close(server, options);
    resources.kv.close();
    await resources.database.close();
    hold?.release();
  };
  const listening = { hostname: server.addr.hostname, port: server.addr.port };
  return {
    config,
    brand: pack.brand,
    resources,
    listening,
    shutdown,
    finished: server.finished,
  };
}

/** The database could not be prepared at start-up in production. */
export class DatabaseNotReadyError extends StartupError<"database_not_ready"> {}

/** The pack's fixed content could not be loaded: its file is missing, not JSON or off its schema. */
export class ContentNotLoadedError extends StartupError<"invalid_content"> {}

/** Another process has the embedded database open. */
export class DatabaseInUseError extends StartupError<"database_in_use"> {}

/** The start-up failure for an embedded database another process holds. */
function embeddedDatabaseInUse(dir: string): DatabaseInUseError {
  return new DatabaseInUseError(
    "database_in_use",
    `The embedded database in ${dir} is open in another process: deno task db:shell, or another ` +
      "connector on this DATA_DIR (two at once can damage it).\nClose that one (\\q in db:shell), " +
      "or give this one its own DATA_DIR, then start again.",
  );
}

/** `AUTH_ISSUER` is not what the issuer's metadata calls it: no token could be verified. */
export class IssuerMismatchStartupError extends StartupError<"issuer_mismatch"> {}

/**
 * Checks the external issuer once at start. A mismatch between `AUTH_ISSUER` and the issuer's own
 * metadata rejects (in development the start stops on it; in production it is logged and
 * `/readyz` says so until fixed); an issuer that cannot be reached is said, not fatal.
 */
function checkIssuerAtStart(keys: RemoteKeys, config: Config): Promise<void> {
  const checked = keys.check().then((status) => {
    if (status.state === "mismatch") {
      throw new IssuerMismatchStartupError("issuer_mismatch", status.detail);
    }
    if (status.state === "unreachable") {
      console.error(
        `warning: the issuer ${config.auth.issuer} cannot be reached just now (${status.detail}); ` +
          "/mcp answers 503 until its keys can be fetched, and /readyz says so.",
      );
    }
  });
  // Handled here at once (in development the caller awaits it later, after other start work).
  checked.catch((error) => {
    if (config.production) {
      console.error(JSON.stringify({ level: "error", msg: "issuer", problem: error.message }));
    }
  });
  return checked;
}

/**
 * What hosts are told to request: `AUTH_REQUEST_SCOPES`, or the required scopes plus
 * `offline_access` once an external issuer's metadata lists it (most issue refresh tokens only
 * then). Tokens never need `offline_access`.
 */
function requestScopesFor(config: Config, keys: RemoteKeys | undefined): () => readonly string[] {
  if (config.requestScopes) {
    const fixed = config.requestScopes;
    return () => fixed;
  }
  const required = config.requiredScopes;
  const withRefresh = [...required, "offline_access"];
  return () =>
    !required.includes("offline_access") &&
      keys?.metadata()?.scopesSupported?.includes("offline_access")
      ? withRefresh
      : required;
}

/** Another process already listens on the configured port. */
export class PortInUseError extends StartupError<"port_in_use"> {}

/** Listens on the configured address; a port another process holds stops the start, saying so. */
function serveOn(config: Config, handler: Deno.ServeHandler): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve(
      { port: config.port, hostname: config.bindHost, onListen: () => {} },
      handler,
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    throw new PortInUseError(
      "port_in_use",
      `Port ${config.port} on ${config.bindHost} is already in use: another process holds it ` +
        `(often this connector, still running in another terminal; lsof -i :${config.port} names ` +
        `it).\nStop that process, or start on another port: PORT=${
          config.port + 1
        } deno task dev ` +
        "(PORT=0 picks a free one).",
    );
  }
}

/**
 * Waits for the database to open and its schema to be prepared, saying so when that takes a while
 * (the embedded database's first creation). A migration that failed or drifted stops the start. A
 * database that does not answer stops a production start; in development the server starts anyway
 * (calls fail closed, `/readyz` says why) so a builder can still reach its pages and logs.
 */
async function prepareAtStart(database: Database, config: Config): Promise<void> {
  const { database: store } = config;
  const slow = setTimeout(() => {
    console.log(
      store.kind === "pglite"
        ? `Preparing the embedded database in ${store.dir} (its first start takes a few seconds)…`
        : "Preparing the database…",
    );
  }, 1_000);
  try {
    await database.prepared();
  } catch (error) {
    if (error instanceof StartupError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    if (config.production) {
      throw new DatabaseNotReadyError(
        "database_not_ready",
        `The database could not be prepared: ${why}\nCheck DATABASE_URL and that the database ` +
          "accepts connections from here, then start again.",
      );
    }
    console.error(
      `warning: the database is not ready (${why}); tool calls fail closed and /readyz reports ` +
        "it until it is.",
    );
  } finally {
    clearTimeout(slow);
  }
}

/** A key for hashing subjects in logs, derived from the session secret but not equal to it. */
async function logSubjectKey(secret: Uint8Array): Promise<Uint8Array> {
  const label = new TextEncoder().encode("kit:log-subject-hash:");
  const material = new Uint8Array(label.length + secret.length);
  material.set(label);
  material.set(secret, label.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", material));
}

/** The pack's rules with the kit's own about undo and forgetting appended. */
function withMemoryRules(guidance: Guidance, brand: PackBrand): Guidance {
  return { rules: `${guidance.rules}\n\n${memoryRules(brand)}`, persona: guidance.persona };
}
