/**
 * SQL access as a pack's store sees it. The kit implements it over PostgreSQL (`pg` over TCP or
 * the Neon driver in production, embedded PGlite in development) and bounds every call by the
 * store deadline, so a store built on it just queries: a failure or a hang reaches the model as
 * the fail-closed answer without the store catching anything.
 *
 * @example A store method
 * ```ts
 * import type { SqlClient } from "./sql.ts";
 *
 * export function createNotes(sql: SqlClient) {
 *   return {
 *     async list(sub: string) {
 *       return await sql.query<{ id: number; text: string }>(
 *         "SELECT id, text FROM notes_notes WHERE user_id = $1 ORDER BY id",
 *         [sub],
 *       );
 *     },
 *   };
 * }
 * ```
 *
 * @module
 */

/**
 * How a call is given up on. When `signal` aborts, the backend stops the call for real — it drops
 * the connection or the statements not yet sent, so nothing more of it runs and an open
 * transaction rolls back. The kit sets this itself (the store deadline); a pack rarely needs it.
 */
export interface CallOptions {
  /** Aborts the call: the backend stops it for real. */
  signal?: AbortSignal;
}

/** Parameterised SQL, one statement per call; `transaction` for several that go together. */
export interface SqlClient {
  /**
   * Runs one parameterised statement (`$1`, `$2`, …) and returns its rows, with the same
   * JavaScript values on both backends: int2/int4/int8 (`count(*)`) and float numbers (an int8
   * past ±(2^53 − 1) fails the call: select it `::text`), numeric the exact decimal as a string,
   * bool a boolean, json/jsonb parsed, timestamptz a `Date`, date/timestamp/time/interval
   * PostgreSQL's ISO text, bytea a `Uint8Array`, arrays of these arrays, NULL `null`, any other
   * type its text. Pass a `Date` for a time (sent as UTC) and `JSON.stringify(value)` for JSON.
   */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    options?: CallOptions,
  ): Promise<Row[]>;
  /** Runs `fn` in a transaction: it commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: CallOptions): Promise<T>;
  /** Closes the client (the kit's to call, not a pack's). */
  close(): Promise<void>;
  /**
   * Resolves once the backend can take statements. The embedded database opens in a worker (and
   * reopens after a restart) under its own, longer bound; the store's per-call deadline starts
   * after this. Absent when there is nothing to wait for.
   */
  ready?(): Promise<void>;
}

/** SQL access inside a transaction. */
export interface SqlTransaction {
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements, without parameters (migrations, seeding). */
  exec(script: string): Promise<void>;
}
