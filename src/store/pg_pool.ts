/**
 * The kit's SQL client over a node-postgres-style connection pool: `pg`'s own `Pool` (TCP,
 * `tcp.ts`) or the Neon driver's fork of it (WebSocket, `neon.ts`). Everything the kit asks of
 * PostgreSQL is written here once, for both: the values PGlite gives (sql_values.ts), a deadline
 * per call through its `AbortSignal`, the server-side limits set on each new connection, the idle
 * sweeper, the listeners that keep a lost connection from crashing the process, and transactions
 * whose `BEGIN` waits for their first statement.
 *
 * @module
 */
import { parserForDriver, type TextParser } from "./sql_values.ts";
import {
  type CallOptions,
  givenUpAtCommit as commitUnknown,
  givenUpSent as sentUnknown,
  givenUpUnsent as notSent,
  type SqlClient,
  StoreError,
} from "./types.ts";

/** One pooled connection: the part of node-postgres's `PoolClient` the kit uses. */
export interface PgPoolClient {
  /** Runs one statement (a simple query when there are no parameters: several may be sent). */
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Runs one statement with parameters, prepared under `name` on this connection if given. */
  query(
    statement: { text: string; values: unknown[]; name?: string },
  ): Promise<{ rows: unknown[] }>;
  /** Gives the connection back; with an error (or `true`), it is closed instead of reused. */
  release(error?: Error | boolean): void;
  /** Listens for the connection's own failures (it ended, it was destroyed). */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** The type parsers a pool is given (`types`), as node-postgres asks them. */
export interface PgTypeParsers {
  /** The parser of type `oid` in `format`. */
  getTypeParser(oid: number, format?: "text" | "binary"): TextParser;
}

/** What a pool is built with: the options the kit sets, the same for both drivers. */
export interface PgPoolConfig {
  connectionString: string;
  types: PgTypeParsers;
  max: number;
  connectionTimeoutMillis: number;
  idleTimeoutMillis: number;
  /** The connection class the pool makes its connections of. */
  // deno-lint-ignore no-explicit-any
  Client?: new (...config: any[]) => object;
}

/** A connection pool: the part of node-postgres's `Pool` the kit uses. */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  /** An idle connection failed. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** A new connection, before the call that asked for it uses it. */
  on(event: "connect", listener: (client: PgPoolClient) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * A node-postgres-compatible driver: its `Pool`, its built-in type parsers (the array-literal
 * parser is taken from them) and its `defaults` (one setting of which the kit needs).
 */
export interface PgDriver {
  Pool: new (config: PgPoolConfig) => PgPool;
  /** Its connection class, which its `Pool` builds on unless told otherwise. */
  // deno-lint-ignore no-explicit-any
  Client: new (...config: any[]) => object;
  types: { getTypeParser(oid: number, format?: "text" | "binary"): unknown };
  defaults: { parseInputDatesAsUTC?: boolean };
}

/** Options of {@linkcode openPgPool}, the same whichever driver carries them. */
export interface PgPoolOptions {
  /** `postgres://…` connection string. */
  connectionString: string;
  /** Pool size. */
  maxConnections?: number;
  /** Connection time limit. */
  connectTimeoutMs?: number;
  /**
   * Server-side limit on each statement and on idling inside a transaction (the store deadline),
   * so a statement the caller gave up on stops and releases its row locks.
   */
  timeoutMs?: number;
  /** How long connections may sit unused before they are closed (default 30 s). */
  idleMs?: number;
  /**
   * Prepare statements with parameters under a name, once per connection (default on; see
   * `statementName`). Off for a pooler in transaction mode that cannot keep them.
   */
  preparedStatements?: boolean;
}

/**
 * Whether `error` is the connection ending rather than the statement failing: no SQLSTATE at all,
 * or a connection-exception (08…) or operator-intervention (57P…) one such as a backend killed.
 */
function connectionEnded(error: unknown): boolean {
  if (error instanceof StoreError) return false;
  const code = (error as { code?: unknown })?.code;
  return typeof code !== "string" || /^(08|57P)/.test(code);
}

/** At most this many statement texts get a name of their own (see {@linkcode statementName}). */
const MOST_NAMED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

/**
 * The name a statement with parameters is prepared under, the same for the same text: each
 * connection then parses and plans it once and afterwards only binds and runs it, which takes
 * about half the database's CPU off a small read (measured on a one-row join: ≈ 240 → 105 µs of
 * the machine's CPU per query). Names are given to the first {@linkcode MOST_NAMED_STATEMENTS}
 * texts only, so SQL built at run time (an `IN` list of varying length) cannot make every
 * connection hold ever more prepared statements; later texts go unnamed, parsed each time.
 */
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MOST_NAMED_STATEMENTS) {
    statementNames.set(sql, name = `kit_${statementNames.size + 1}`);
  }
  return name;
}

/** A promise that rejects with `error()` when `signal` aborts, and a way to stop listening. */
function abortion(signal: AbortSignal, error: () => Error) {
  const { promise, reject } = Promise.withResolvers<never>();
  promise.catch(() => {});
  const onAbort = () => reject(error());
  signal.addEventListener("abort", onAbort, { once: true });
  return { promise, dispose: () => signal.removeEventListener("abort", onAbort) };
}

/**
 * The values PGlite gives for the same SQL (see sql_values.ts), in place of the driver's defaults;
 * asked once per column of each result, so each type's parser is built once.
 */
function sameValues(types: PgDriver["types"]): PgTypeParsers {
  // The driver's own array-literal parser (text elements), which the table's element parsers map.
  const parseTextArray = types.getTypeParser(1009, "text") as TextParser;
  const parsers = new Map<number, TextParser>();
  return {
    getTypeParser(oid, format) {
      if (format === "binary") return types.getTypeParser(oid, "binary") as TextParser;
      let parser = parsers.get(oid);
      if (!parser) parsers.set(oid, parser = parserForDriver(oid, parseTextArray));
      return parser;
    },
  };
}

/** Opens a connection pool of `driver`. Nothing connects until the first query. */
export function openPgPool(driver: PgDriver, options: PgPoolOptions): SqlClient {
  // A Date parameter as UTC, as PGlite sends it: local time would reach a date or timestamp column
  // as the process's wall clock. (A setting of the driver's module, not of one pool.)
  driver.defaults.parseInputDatesAsUTC = true;
  const types = sameValues(driver.types);
  const connectMs = options.connectTimeoutMs ?? 5_000;
  const prepared = options.preparedStatements ?? true;
  /**
   * The connect limit is set on each connection, which then times its own connecting. Set on the
   * pool, it would also start a timer on every checkout of an idle connection (set and cleared on
   * every call); a call waiting for a connection is bounded by its deadline instead (`connect`).
   */
  const Client = class extends driver.Client {
    // deno-lint-ignore no-explicit-any
    constructor(config: any) {
      super({ ...config, connectionTimeoutMillis: connectMs });
    }
  };
  const makePool = () => {
    const made = new driver.Pool({
      connectionString: options.connectionString,
      types,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 0,
      Client,
      // No idle timer per released connection (a timer set and cleared on every call): idle
      // connections are let go together, below.
      idleTimeoutMillis: 0,
    });
    // An idle connection dropped by the server must not crash the process; the next query
    // reconnects.
    made.on(
      "error",
      (error: Error) => console.error(`database: idle connection lost (${error.message})`),
    );
    if (options.timeoutMs !== undefined) {
      const ms = Math.max(1, Math.round(options.timeoutMs));
      // Queued on the new connection ahead of the query that asked for it. A plain SET, which
      // proxies and poolers pass through (unlike some startup parameters). If it fails, so will
      // that query.
      made.on("connect", (client: PgPoolClient) => {
        client.query(
          `SET statement_timeout = ${ms}; SET idle_in_transaction_session_timeout = ${ms}`,
        ).catch(() => {});
      });
    }
    return made;
  };
  let current: PgPool | undefined;
  let lastUsed = 0;
  let closed = false;
  const pool = (): PgPool => {
    if (closed) throw new StoreError("unavailable", "the database client is closed");
    lastUsed = Date.now();
    return current ??= makePool();
  };
  const idleMs = options.idleMs ?? 30_000;
  // Connections idle for `idleMs` are closed (so that a database that suspends when nobody is
  // connected can): once no call has asked for one that long and none is in use, the pool is let
  // go whole, and the next call opens a new one.
  const sweeper = setInterval(() => {
    const idle = current;
    if (!idle || Date.now() - lastUsed < idleMs) return;
    if (idle.idleCount !== idle.totalCount || idle.waitingCount > 0) return;
    current = undefined;
    idle.end().catch(() => {});
  }, Math.max(10, idleMs / 3));
  Deno.unrefTimer(sweeper);
  /**
   * A connection in use reports its end (the server went away, or it was destroyed after a
   * deadline) as an `error` event; the pool listens only while it is idle. Unheard, that event
   * would be an uncaught exception: the call it broke already fails on its own.
   */
  const listening = new WeakSet<PgPoolClient>();
  const guarded = (client: PgPoolClient): PgPoolClient => {
    if (!listening.has(client)) {
      listening.add(client);
      client.on("error", () => {});
    }
    return client;
  };
  /**
   * A pooled connection for one call that `signal` can take back: aborted while waiting for it,
   * the call fails `timeout` (nothing sent) and a connection that arrives later goes straight back.
   */
  const connect = async (signal?: AbortSignal): Promise<PgPoolClient> => {
    if (signal?.aborted) throw notSent();
    if (!signal) return guarded(await pool().connect());
    const connecting = pool().connect().then(guarded);
    const gaveUp = abortion(signal, notSent);
    try {
      return await Promise.race([connecting, gaveUp.promise]);
    } catch (error) {
      connecting.then((client) => client.release(), () => {});
      throw error;
    } finally {
      gaveUp.dispose();
    }
  };
  /**
   * Runs one statement on `client`; if `signal` aborts first, the connection is destroyed (the
   * server ends whatever it was running, and rolls back an open transaction) and the call fails
   * with `whenSent()`.
   */
  const run = async <Row>(
    client: PgPoolClient,
    sql: string,
    params: unknown[] | undefined,
    signal: AbortSignal | undefined,
    whenSent: () => StoreError,
  ): Promise<Row[]> => {
    if (signal?.aborted) throw notSent();
    const gaveUp = signal && abortion(signal, whenSent);
    try {
      // Without parameters: the simple protocol, which may carry several statements (a script).
      const running = params === undefined ? client.query(sql) : client.query({
        text: sql,
        values: params,
        name: prepared ? statementName(sql) : undefined,
      });
      running.catch(() => {});
      return (await (gaveUp ? Promise.race([running, gaveUp.promise]) : running)).rows as Row[];
    } catch (error) {
      // The connection ended under a statement already sent (a backend killed, the network
      // gone): the server may have finished it, a write as much as a COMMIT. Said as such.
      if (whenSent !== notSent && connectionEnded(error)) {
        throw Object.assign(whenSent(), { cause: error });
      }
      throw error;
    } finally {
      gaveUp?.dispose();
    }
  };
  return {
    query: async <Row>(sql: string, params?: unknown[], options?: CallOptions) => {
      const client = await connect(options?.signal);
      let broken: StoreError | undefined;
      try {
        return await run<Row>(client, sql, params, options?.signal, sentUnknown);
      } catch (error) {
        broken = error instanceof StoreError ? error : undefined;
        throw error;
      } finally {
        // A connection given up on mid-statement is destroyed, never reused.
        client.release(broken);
      }
    },
    transaction: async (fn, options) => {
      const signal = options?.signal;
      const client = await connect(signal);
      let broken: StoreError | undefined;
      // BEGIN goes with the transaction's first statement: with a script (exec), in the same
      // simple query — one round trip for both (the kit's isolation setup is one).
      let begun = false;
      const begin = async () => {
        if (begun) return;
        begun = true;
        await run(client, "BEGIN", undefined, signal, notSent);
      };
      try {
        const result = await fn({
          // Inside the transaction nothing is final before COMMIT: given up on, it rolls back.
          query: async <Row>(sql: string, params?: unknown[]) => {
            await begin();
            return await run<Row>(client, sql, params, signal, notSent);
          },
          exec: async (script: string) => {
            const opening = !begun;
            begun = true;
            await run(client, opening ? `BEGIN;\n${script}` : script, undefined, signal, notSent);
          },
        });
        // Never sent once the caller has given up: the transaction then rolls back.
        if (begun) await run(client, "COMMIT", undefined, signal, commitUnknown);
        return result;
      } catch (error) {
        // Given up on (or the connection is gone): the connection is destroyed, which rolls back.
        // Any other failure (an SQL error, the pack's own): an ordinary ROLLBACK, connection kept.
        const gone = signal?.aborted ||
          (error instanceof StoreError && error.code !== "unavailable");
        if (gone) broken = error as StoreError;
        else if (begun) {
          await client.query("ROLLBACK").catch(
            () => (broken = new StoreError("unavailable", "rollback failed")),
          );
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close: async () => {
      closed = true;
      clearInterval(sweeper);
      const open = current;
      current = undefined;
      await open?.end();
    },
  };
}
