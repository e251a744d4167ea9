/**
 * The kit's store interfaces: people and their saved state, the SQL client packs build on, and the
 * one error every store failure becomes. Nothing about MCP or HTTP.
 *
 * @module
 */
import { CodedError, StartupError } from "../errors.ts";

/** The SQL access packs build on: declared by the pack contract, implemented by the backends. */
export type { CallOptions, SqlClient, SqlTransaction } from "../pack/sql.ts";

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
  /** No such person (never began a session, or forgotten): nothing was written. */
  | { outcome: "missing" }
  | { outcome: "version_conflict"; current: SavedState }
  | { outcome: "too_large"; current: SavedState; sizeBytes: number };

/** Who made a change: the tool, and the OAuth client the token was issued to (when known). */
export interface WriteContext {
  tool: string;
  clientId?: string;
}

/** What changed, top-level keys of the saved state; or, for a domain action, what it was. */
export type ChangeSummary =
  | {
    /** At most 20 keys named per kind; `counts` has them all. */
    added: string[];
    changed: string[];
    removed: string[];
    counts: { added: number; changed: number; removed: number };
  }
  | { action: string };

/** One recorded change. */
export interface HistoryEntry {
  /** Cursor for paging (`before`). */
  id: number;
  /** The state version after the change. */
  version: number;
  /** ISO time. */
  at: string;
  tool: string;
  client: string | null;
  summary: ChangeSummary;
  /** The patch applied, the version restored, or the action's arguments. */
  change: unknown;
  sizeBytes: number;
}

/** Result of a restore: a save, or no such version kept. */
export type RestoreOutcome = SaveOutcome | { outcome: "unknown_version"; current: SavedState };

/** One part of a person's history for an export: newest first, bounded in bytes. */
export interface HistoryPart {
  entries: HistoryEntry[];
  /** Whether older entries remain (continue with `before` = the last entry's id). */
  more: boolean;
}

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
    options: { expectedVersion?: number; maxBytes: number; write: WriteContext },
  ): Promise<SaveOutcome>;
  /**
   * Makes the state what it was at `version` (0: empty), as a new version, when that version is
   * still kept. With `expectedVersion`, refuses unless the stored version still equals it.
   */
  restoreVersion(
    sub: string,
    version: number,
    options: { expectedVersion?: number; maxBytes: number; write: WriteContext },
  ): Promise<RestoreOutcome>;
  /** The latest changes, newest first; `before` pages on. */
  history(sub: string, options: { before?: number; limit: number }): Promise<HistoryEntry[]>;
  /** Records a change of the person's domain data (a pack's write tool) in their history. */
  recordChange(
    sub: string,
    write: WriteContext,
    change: { arguments: unknown; summary: string },
  ): Promise<void>;
  /** How many changes are recorded for the person. */
  historyCount(sub: string): Promise<number>;
  /**
   * The person's history for an export, newest first, older than `before` when given: entries
   * whose changes add up to about `maxBytes` (always at least one), so an answer stays bounded
   * however much history is kept.
   */
  exportHistory(sub: string, options: { before?: number; maxBytes: number }): Promise<HistoryPart>;
}

/**
 * The store failed. `unavailable`: unreachable or failing (a lost connection, a server shutting
 * down, out of resources, a deadlock). Past the deadline, `timeout` means the call did not take
 * effect (it was never sent, or its transaction was stopped before `COMMIT`); `outcome_unknown`
 * means a write may have taken effect after all (a statement or `COMMIT` was already sent when the
 * caller gave up): the caller must say so, not report a failure.
 *
 * Two codes are the database refusing a statement rather than failing: `rejected` (SQLSTATE
 * classes 22 and 54: the values given cannot be taken — bad input, a query too complex — so the
 * caller can fix it) and `broken` (anything else it refuses: a missing column, a typo, a write in
 * a read-only transaction, a constraint: the code or the schema is wrong). Both carry the SQLSTATE
 * and the database's message.
 */
export class StoreError extends CodedError<
  "unavailable" | "timeout" | "outcome_unknown" | "rejected" | "broken"
> {
  /** The SQLSTATE of a statement the database refused (`rejected`, `broken`). */
  readonly sqlstate?: string;

  /** Creates the error; `sqlstate` when the database refused a statement. */
  constructor(
    code: StoreError["code"],
    message: string,
    options?: ErrorOptions & { sqlstate?: string },
  ) {
    super(code, message, options);
    if (options?.sqlstate) this.sqlstate = options.sqlstate;
  }
}

/** SQLSTATE classes that mean the database or the connection is failing, not the statement. */
const FAILING_CLASSES = new Set(["08", "40", "53", "57", "58", "XX"]);

/** SQLSTATE classes that mean the values given cannot be taken (data exception, program limit). */
const INPUT_CLASSES = new Set(["22", "54"]);

/**
 * What a backend's failure means: a {@linkcode StoreError} stays as it is; a statement the
 * database refused becomes `rejected` or `broken` with its SQLSTATE; anything else (a connection
 * lost, a driver failing) `unavailable`.
 */
export function storeFailure(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  // The schema could not be prepared (a migration failed or changed after it ran): every call
  // fails closed with that reason until it is fixed.
  if (error instanceof StartupError) {
    return new StoreError("broken", error.message, { cause: error });
  }
  const message = (error as Error)?.message ?? String(error);
  const code = (error as { code?: unknown })?.code;
  // SQLSTATEs have a digit somewhere ("22P02", "XX000"); errno names ("EPIPE") do not.
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code)) {
    const kind = code.slice(0, 2);
    if (!FAILING_CLASSES.has(kind)) {
      return new StoreError(INPUT_CLASSES.has(kind) ? "rejected" : "broken", message, {
        cause: error,
        sqlstate: code,
      });
    }
  }
  return new StoreError("unavailable", message, { cause: error });
}

/** Given up on before it could take effect (never sent, or its transaction stopped before COMMIT). */
export const givenUpUnsent = (): StoreError =>
  new StoreError("timeout", "given up on before it took effect");

/** Given up on after its statement was sent: it may have taken effect. */
export const givenUpSent = (): StoreError =>
  new StoreError("outcome_unknown", "given up on after the statement was sent");

/** Given up on after COMMIT was sent: it may have taken effect. */
export const givenUpAtCommit = (): StoreError =>
  new StoreError("outcome_unknown", "given up on after COMMIT was sent");
