/**
 * The kit's store interfaces: people and their saved state, the SQL client packs build on, and the
 * one error every store failure becomes. Nothing about MCP or HTTP.
 *
 * @module
 */
import { CodedError } from "../errors.ts";

/** A person as we know them. */
export interface Profile {
  /** The verified `sub`. */
  id: string;
  email: string | null;
  /** ISO timestamp of the first session. */
  memberSince: string;
  /** ISO timestamp of the session before this one; `null` on the first visit. */
  previousVisit: string | null;
}

/** A person's saved state and its version (incremented on every write). */
export interface SavedState {
  state: Record<string, unknown>;
  version: number;
  /** ISO timestamp of the last write. */
  updatedAt: string;
}

/** Result of a state write. */
export type SaveOutcome =
  | { outcome: "saved"; saved: SavedState }
  | { outcome: "version_conflict"; current: SavedState }
  | { outcome: "too_large"; current: SavedState; sizeBytes: number };

/** People and their saved state, keyed by the verified subject. */
export interface UserStore {
  /** Records the visit (creating the person on first sight) and returns profile and state, in one round trip. */
  beginSession(
    user: { sub: string; email?: string },
  ): Promise<{ profile: Profile; saved: SavedState }>;
  /** The person's profile and state; `null` if they never began a session. */
  getUser(sub: string): Promise<{ profile: Profile; saved: SavedState } | null>;
  /**
   * Applies a JSON merge patch (RFC 7396) atomically. With `expectedVersion`, refuses unless the
   * stored version still equals it. Refuses a result larger than `maxBytes`.
   */
  savePatch(
    sub: string,
    patch: Record<string, unknown>,
    options: { expectedVersion?: number; maxBytes: number },
  ): Promise<SaveOutcome>;
}

/** Minimal SQL access both backends provide. */
export interface SqlClient {
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `fn` in a transaction; `exec` runs a multi-statement script without parameters. */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Closes the client. */
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
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  exec(script: string): Promise<void>;
}

/** The store failed: unreachable, failing, or slower than the deadline. */
export class StoreError extends CodedError<"unavailable" | "timeout"> {}
