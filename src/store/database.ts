/**
 * The database as the kit and its pack use it: the configured backend (PostgreSQL through its
 * driver, or embedded PGlite in a worker), the kit's and the pack's migrations and the pack's fixed content applied on first use,
 * and one SQL client through which every call has the store deadline and every failure becomes a
 * {@linkcode StoreError} — so the kit's store and the pack's fail closed the same way.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { DatabaseConfig } from "../config.ts";
import { BUDGET_SPENT_MS, remaining, withDeadline } from "../deadline.ts";
import { type PersonalTable, personalTables, transactionSetup } from "./isolation.ts";
import { inSpan, operationOf, tracingEnabled } from "../tracing.ts";
import {
  applyMigrations,
  type ContentCopy,
  CORE_MIGRATIONS,
  CORE_NAMESPACE,
  type Migration,
} from "./migrations.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import { type SqlClient, type SqlTransaction, StoreError, storeFailure } from "./types.ts";
import { createUserStore, type HistoryPolicy } from "./user_store.ts";
import type { UserStore } from "./types.ts";

/** What a pack contributes to the database. */
export interface DatabaseSchema {
  /** The pack's id, its migrations' namespace. */
  namespace: string;
  migrations: readonly Migration[];
  /** The pack's fixed content, copied into its tables whenever its hash is new to the database. */
  content?: ContentCopy;
  /** Deletes the pack's rows of one person, inside the kit's forgetting transaction. */
  forget?(tx: SqlTransaction, sub: string): Promise<void>;
}

/** The open database. */
export interface Database {
  /** The bounded client: the deadline, preparation and failure mapping applied to every call. */
  sql: SqlClient;
  /** People and their saved state. */
  users: UserStore;
  /**
   * Deletes everything kept about `sub` — the pack's rows, then the person (their state and history
   * go with them) — in one transaction: all of it, or nothing.
   */
  forgetPerson(sub: string): Promise<void>;
  /** Answers when the database is reachable and the schema is in place. */
  ping(): Promise<void>;
  /**
   * Resolves once the backend is open and the schema prepared, under the preparation's own (longer)
   * deadline; rejects with why not ({@linkcode MigrationDriftError}, {@linkcode MigrationFailedError},
   * or the store failing). For start-up, which waits for it.
   */
  prepared(): Promise<void>;
  /**
   * Runs `work` with every call made through {@linkcode Database.sql} inside it joined into one
   * transaction under one deadline (a transaction opened inside becomes a savepoint): all of it
   * commits when `work` has finished, or none of it.
   */
  atomically<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` with every call it makes through {@linkcode Database.sql} in a read-only
   * transaction of its own: the database refuses a write (SQLSTATE 25006). Nothing is opened for
   * calls it does not make.
   */
  readOnly<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` as the person `sub`: every call it makes through {@linkcode Database.sql} runs in a
   * transaction as the person role with `sub` set (see isolation.ts), so the database shows and
   * takes only that person's rows of a guarded table, whatever the SQL says. The kit runs every
   * pack tool, export and forget this way.
   */
  asPerson<T>(sub: string, work: () => Promise<T>): Promise<T>;
  /**
   * Every row of every personal table of the pack for `sub`, by table: what `user_export` must
   * hold, whatever the pack's own export shapes. Runs as the person.
   */
  personalRows(sub: string): Promise<Record<string, unknown[]>>;
  /** The backend's own client, for fault-injection tests only. */
  raw: SqlClient;
  close(): Promise<void>;
}

/**
 * Opens the configured backend: PostgreSQL through its driver when `DATABASE_URL` is set, embedded
 * PGlite otherwise.
 */
export async function openDatabase(
  config: DatabaseConfig,
  schema: DatabaseSchema,
  history: HistoryPolicy,
): Promise<Database> {
  const { timeoutMs } = config;
  const raw = config.kind === "postgres"
    ? await openPostgres(config)
    : await openPglite({ dir: config.dir, timeoutMs });
  return databaseOver(raw, schema, timeoutMs, history);
}

/** Why a call's give-up signal fires once the call has settled. */
const SETTLED = Object.freeze({ reason: "the call has settled" });

/** History kept when no policy is given (tests of the store alone). */
const DEFAULT_HISTORY: HistoryPolicy = { keep: 200, keepDays: 90, maxBytes: 4 * 1024 * 1024 };

/**
 * The {@linkcode Database} over an open backend client. Migrations and content run on first use
 * (and again after any failed call), so the server starts even while the database is down and recovers
 * when it returns, or when the embedded database comes back from a restart without its schema.
 */
export function databaseOver(
  raw: SqlClient,
  schema: DatabaseSchema,
  timeoutMs: number,
  history: HistoryPolicy = DEFAULT_HISTORY,
): Database {
  let ready: Promise<void> | undefined;
  /** The pack's personal tables, as the last preparation found them. */
  let guarded: PersonalTable[] = [];
  /** Whether `ready` has finished: a failure after that may mean the schema is gone. */
  let prepared = false;
  const prepare = () => {
    if (!ready) {
      // Its own deadline, longer than a call's (a first preparation copies the content), so a
      // preparation stuck on a dead connection gives way to a fresh one.
      const preparing = withDeadline(
        applyMigrations(raw, [
          { namespace: CORE_NAMESPACE, migrations: CORE_MIGRATIONS },
          { namespace: schema.namespace, migrations: schema.migrations, content: schema.content },
        ]).then(async () => {
          // Read at every preparation: what user_export must hold (a catalog read, no lock).
          guarded = await personalTables(raw, schema.namespace);
        }),
        Math.max(4 * timeoutMs, 10_000),
        () => new StoreError("timeout", "preparing the database took too long"),
      );
      ready = preparing;
      prepared = false;
      preparing.then(() => {
        if (ready === preparing) prepared = true;
      }, () => {
        if (ready === preparing) ready = undefined;
      });
    }
    return ready;
  };

  /**
   * Runs `work` after preparation, under the deadline; failures become {@linkcode StoreError}. The
   * deadline covers waiting for a backend that is reopening (the embedded database after a
   * restart): a call then fails closed in time, and the calls after the reopen succeed. Inside a
   * tool call the deadline is what is left of the call's budget, when that is less (`withBudget`).
   */
  async function bounded<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ms = remaining(timeoutMs);
    const late = () => new StoreError("timeout", `no answer within ${ms} ms`);
    // The call's budget is spent: nothing is sent, so nothing can have taken effect.
    if (ms <= BUDGET_SPENT_MS) throw late();
    // At the deadline the backend is told to give up for real (see CallOptions): it stops the
    // call and says at once whether it can have taken effect. The outer deadline, a little
    // later, only guards against a backend that does not answer its signal.
    const giveUp = new AbortController();
    const timer = setTimeout(() => giveUp.abort(), ms);
    try {
      // Waiting for the backend to open or the schema to be prepared sends nothing of the call.
      // Prepared, and with no backend to wait for (PostgreSQL), there is nothing to wait on.
      if (!(prepared && ready && !raw.ready)) {
        await withDeadline(
          (raw.ready?.() ?? Promise.resolve()).then(() => prepare()),
          ms,
          late,
        );
      }
      if (giveUp.signal.aborted) throw late();
      return await withDeadline(
        work(giveUp.signal),
        ms + 1_000,
        () => new StoreError("outcome_unknown", `no answer within ${ms} ms`),
      );
    } catch (error) {
      // A failure after preparation can mean the backend was restarted (an in-memory database
      // then has no schema): prepare again next time; it is idempotent and cheap. A preparation
      // still under way is left to finish, not started a second time behind it.
      const failure = storeFailure(error);
      if (prepared && mayHaveLostSchema(failure)) ready = undefined;
      throw failure;
    } finally {
      clearTimeout(timer);
      // Settled: anything of it still arriving late (a straggler of a joined transaction) must
      // not run on a connection that has since gone back to the pool. (With a reason of its own:
      // a bare abort builds a DOMException, with its stack, on every call.)
      giveUp.abort(SETTLED);
    }
  }

  /** The transaction `atomically` has open for the calls of this async context, if any. */
  const joined = new AsyncLocalStorage<Joined>();
  /** Set while `readOnly` work runs: each of its calls gets a read-only transaction. */
  const readOnlyCalls = new AsyncLocalStorage<true>();
  /** Set while `asPerson` work runs: the verified `sub` its calls run as. */
  const personCalls = new AsyncLocalStorage<string>();
  /**
   * `fn` in a transaction opened for the context's calls: read-only inside `readOnly` (first: it
   * must precede any query), then as the person inside `asPerson`.
   */
  const scoped = <T>(fn: (tx: SqlTransaction) => Promise<T>) => {
    const readOnly = readOnlyCalls.getStore() === true;
    const sub = personCalls.getStore();
    if (!readOnly && sub === undefined) return fn;
    const setup = transactionSetup(readOnly, sub);
    return async (tx: SqlTransaction) => {
      // A script: the backend sends it with its BEGIN, one round trip for both.
      await tx.exec(setup);
      return await fn(tx);
    };
  };
  /** The pack whose database this is, on every statement's span. */
  const pack = schema.namespace;
  const sql: SqlClient = {
    query: <Row>(text: string, params?: unknown[]) => {
      // The hot path: with tracing off, no span and nothing to name one by.
      if (!tracingEnabled()) return statement<Row>(text, params);
      // One span per statement, named by its operation (never its parameters).
      const operation = operationOf(text);
      return inSpan(
        operation,
        { "db.system.name": "postgresql", "db.operation.name": operation, "kit.pack": pack },
        () => statement<Row>(text, params),
      );
    },
    transaction: <T>(fn: (tx: SqlTransaction) => Promise<T>) =>
      inSpan(
        "transaction",
        { "db.system.name": "postgresql", "kit.pack": pack },
        () => transaction(fn),
      ),
    close: () => raw.close(),
  };
  function statement<Row>(text: string, params?: unknown[]): Promise<Row[]> {
    const open = joined.getStore();
    if (open) return inTurn(open, () => mapped(() => open.tx.query<Row>(text, params)));
    // A person's call, or a read in development: one transaction of its own for the statement.
    if (readOnlyCalls.getStore() || personCalls.getStore() !== undefined) {
      const run = scoped((tx) => tx.query<Row>(text, params));
      return bounded((signal) => raw.transaction(run, { signal }));
    }
    return bounded((signal) => raw.query<Row>(text, params, { signal }));
  }
  function transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const open = joined.getStore();
    if (open) return inTurn(open, () => mapped(() => withSavepoint(open, fn)));
    const run = scoped(fn);
    return bounded((signal) => raw.transaction(run, { signal }));
  }
  return {
    sql,
    users: createUserStore(sql, history),
    forgetPerson: async (sub) => {
      for (let attempt = 1;; attempt++) {
        try {
          // As the person: the pack's forget reaches exactly their rows of a guarded table.
          return await personCalls.run(sub, () =>
            sql.transaction(async (tx) => {
              // Locks in the order a save takes them (the state row, then the person's row), so a
              // save running alongside waits for the forget, or the forget for it — never both.
              await tx.query("SELECT 1 FROM user_state WHERE user_id = $1 FOR UPDATE", [sub]);
              await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [sub]);
              await schema.forget?.(tx, sub);
              await tx.query("DELETE FROM users WHERE id = $1", [sub]);
            }));
        } catch (error) {
          // A pack's own writes may still meet the forget the other way round; the database then
          // aborts one side, and forgetting is worth another try.
          if (attempt >= 3 || !isDeadlock(error)) throw error;
        }
      }
    },
    ping: () => bounded((signal) => raw.query("SELECT 1", [], { signal })).then(() => {}),
    prepared: () => (raw.ready?.() ?? Promise.resolve()).then(() => prepare()),
    readOnly: <T>(work: () => Promise<T>) => readOnlyCalls.run(true, work),
    asPerson: <T>(sub: string, work: () => Promise<T>) => personCalls.run(sub, work),
    personalRows: (sub) =>
      personCalls.run(sub, async () => {
        const rows: Record<string, unknown[]> = {};
        for (const { table } of guarded) {
          // Every column of every row, as JSON: complete whatever the pack's export leaves out.
          const [{ all }] = await sql.query<{ all: unknown[] }>(
            `SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]'::jsonb) AS all FROM "${
              table.replaceAll('"', '""')
            }" t WHERE t.user_id = $1`,
            [sub],
          );
          rows[table] = all;
        }
        return rows;
      }),
    atomically: async <T>(work: () => Promise<T>) => {
      if (joined.getStore()) return await work();
      // What `work` itself throws (not a store failure) comes out as it is, after the rollback.
      let thrown: { error: unknown } | undefined;
      const own = async () => {
        try {
          return await work();
        } catch (error) {
          if (!(error instanceof StoreError)) thrown = { error };
          throw error;
        }
      };
      try {
        return await bounded((signal) =>
          raw.transaction(
            scoped((tx) => joined.run({ tx, savepoints: 0, turn: Promise.resolve() }, own)),
            { signal },
          )
        );
      } catch (error) {
        if (thrown) throw thrown.error;
        throw error;
      }
    },
    raw,
    close: () => raw.close(),
  };
}

/** A transaction `atomically` opened, as the calls joining it share it. */
interface Joined {
  tx: SqlTransaction;
  savepoints: number;
  /** The last call joined: calls take turns, so savepoints of parallel calls never interleave. */
  turn: Promise<unknown>;
}

/** Set while a joined call runs: what it calls in turn is part of it, not queued behind it. */
const inCall = new AsyncLocalStorage<true>();

/** Runs `call` on the joined transaction once every call joined before it has settled. */
function inTurn<T>(open: Joined, call: () => Promise<T>): Promise<T> {
  if (inCall.getStore()) return call();
  const run = () => inCall.run(true, call);
  const mine = open.turn.then(run, run);
  open.turn = mine.catch(() => {});
  return mine;
}

/** A failure inside a joined transaction as every other store failure: a {@linkcode StoreError}. */
async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeFailure(error);
  }
}

/** `fn` as a savepoint of the joined transaction: its own part rolls back if it fails. */
async function withSavepoint<T>(
  open: Joined,
  fn: (tx: SqlTransaction) => Promise<T>,
): Promise<T> {
  const name = `kit_${++open.savepoints}`;
  await open.tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(open.tx);
    await open.tx.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await open.tx.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
    throw error;
  }
}

/**
 * Whether a failure can mean the schema is gone (a restarted in-memory database, a dropped table):
 * the backend failing, or a missing table or schema. A refused statement of a pack (bad input, a
 * typo) cannot, and must not make every later call prepare the database again.
 */
function mayHaveLostSchema(failure: StoreError): boolean {
  if (failure.code === "unavailable" || failure.code === "timeout") return true;
  return failure.sqlstate === "42P01" || failure.sqlstate === "3F000";
}

/** Whether a store failure was PostgreSQL breaking a deadlock (SQLSTATE 40P01). */
function isDeadlock(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  return cause?.code === "40P01" || /deadlock detected/i.test(String((error as Error)?.message));
}
