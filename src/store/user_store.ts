/**
 * The {@linkcode UserStore} in SQL, shared by both backends: `users` and `user_state`, through the
 * `core_*` functions (one round trip per call).
 *
 * @module
 */
import type {
  ChangeSummary,
  HistoryEntry,
  Profile,
  RestoreOutcome,
  SavedState,
  SaveOutcome,
  SqlClient,
  UserStore,
} from "./types.ts";
import { isoTime } from "../pack/time.ts";

/** How much history is kept per person: the last `keep` entries, and any younger than `keepDays`. */
export interface HistoryPolicy {
  keep: number;
  keepDays: number;
  /** Bytes of history kept per person at most (the newest entry always stays). */
  maxBytes: number;
}

/** Rows as both backends give them (see sql_values.ts): int8 a number, timestamptz a Date. */
type HistoryRow = {
  id: number;
  version: number;
  changed_at: Date;
  tool: string;
  client_id: string | null;
  change: unknown;
  summary: ChangeSummary;
  size_bytes: number;
};

function entryFrom(row: HistoryRow): HistoryEntry {
  return {
    id: row.id,
    version: row.version,
    at: isoTime(row.changed_at),
    tool: row.tool,
    client: row.client_id,
    summary: row.summary,
    change: row.change,
    sizeBytes: row.size_bytes,
  };
}

const HISTORY_COLUMNS = "id, version, changed_at, tool, client_id, change, summary, size_bytes";

type StateRow = {
  state: Record<string, unknown>;
  version: number;
  updated_at: Date;
};

function savedFrom(row: StateRow): SavedState {
  return { state: row.state, version: row.version, updatedAt: isoTime(row.updated_at) };
}

function profileFrom(json: Record<string, string | null>): Profile {
  return {
    id: json.id!,
    email: json.email ?? null,
    memberSince: isoTime(json.memberSince)!,
    previousVisit: isoTime(json.previousVisit),
  };
}

/** Builds the store over the kit's SQL client (which bounds and maps every call). */
export function createUserStore(sql: SqlClient, policy: HistoryPolicy): UserStore {
  const outcomeOf = (
    row: StateRow & { outcome: string; size_bytes: number | null },
  ): SaveOutcome => {
    if (row.outcome === "missing") return { outcome: "missing" };
    const saved = savedFrom(row);
    if (row.outcome === "saved") return { outcome: "saved", saved };
    if (row.outcome === "too_large") {
      return { outcome: "too_large", current: saved, sizeBytes: Number(row.size_bytes) };
    }
    return { outcome: "version_conflict", current: saved };
  };
  return {
    async beginSession({ sub, email }) {
      const [row] = await sql.query<StateRow & { profile: Record<string, string | null> }>(
        "SELECT profile, state, version, updated_at FROM core_begin_session($1, $2)",
        [sub, email ?? null],
      );
      return { profile: profileFrom(row.profile), saved: savedFrom(row) };
    },

    async getUser(sub) {
      const rows = await sql.query<
        StateRow & { id: string; email: string | null; created_at: Date; last_seen_at: Date }
      >(
        `SELECT u.id, u.email, u.created_at, u.last_seen_at, s.state, s.version, s.updated_at
           FROM users u JOIN user_state s ON s.user_id = u.id WHERE u.id = $1`,
        [sub],
      );
      if (rows.length === 0) return null;
      const row = rows[0];
      return {
        profile: {
          id: row.id,
          email: row.email,
          memberSince: isoTime(row.created_at)!,
          previousVisit: isoTime(row.last_seen_at),
        },
        saved: savedFrom(row),
      };
    },

    async savePatch(sub, patch, { expectedVersion, maxBytes, write }): Promise<SaveOutcome> {
      const [row] = await sql.query<StateRow & { outcome: string; size_bytes: number | null }>(
        `SELECT outcome, state, version, updated_at, size_bytes
           FROM core_save_state($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9)`,
        [
          sub,
          JSON.stringify(patch),
          expectedVersion ?? null,
          maxBytes,
          write.tool,
          write.clientId ?? null,
          policy.keep,
          policy.keepDays,
          policy.maxBytes,
        ],
      );
      return outcomeOf(row);
    },

    async restoreVersion(sub, version, { expectedVersion, maxBytes, write }) {
      const [row] = await sql.query<StateRow & { outcome: string; size_bytes: number | null }>(
        `SELECT outcome, state, version, updated_at, size_bytes
           FROM core_restore_state($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          sub,
          version,
          expectedVersion ?? null,
          maxBytes,
          write.tool,
          write.clientId ?? null,
          policy.keep,
          policy.keepDays,
          policy.maxBytes,
        ],
      );
      if (row.outcome === "unknown_version") {
        return { outcome: "unknown_version", current: savedFrom(row) } satisfies RestoreOutcome;
      }
      return outcomeOf(row);
    },

    async history(sub, { before, limit }) {
      const rows = await sql.query<HistoryRow>(
        `SELECT ${HISTORY_COLUMNS} FROM user_history
          WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)
          ORDER BY id DESC LIMIT $3`,
        [sub, before ?? null, limit],
      );
      return rows.map(entryFrom);
    },

    async recordChange(sub, write, { arguments: args, summary }) {
      await sql.query(
        `SELECT core_record_change($1, coalesce((SELECT version FROM user_state WHERE user_id = $1), 0),
                $2, $3, $4::jsonb, $5::jsonb, NULL, $6, $7, $8)`,
        [
          sub,
          write.tool,
          write.clientId ?? null,
          JSON.stringify(args),
          JSON.stringify({ action: summary }),
          policy.keep,
          policy.keepDays,
          policy.maxBytes,
        ],
      );
    },

    async historyCount(sub) {
      const [row] = await sql.query<{ n: number }>(
        "SELECT count(*) AS n FROM user_history WHERE user_id = $1",
        [sub],
      );
      return row.n;
    },

    async exportHistory(sub, { before, maxBytes }) {
      // Sizes are summed in the database, newest first, so only the part is sent over.
      const rows = await sql.query<HistoryRow & { left_over: number }>(
        `SELECT ${HISTORY_COLUMNS}, total - n AS left_over FROM (
           SELECT ${HISTORY_COLUMNS},
                  sum(octet_length(change::text)) OVER (ORDER BY id DESC) AS running,
                  octet_length(change::text) AS own,
                  row_number() OVER (ORDER BY id DESC) AS n,
                  count(*) OVER () AS total
             FROM user_history
            WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)) h
          WHERE running - own < $3
          ORDER BY id DESC`,
        [sub, before ?? null, maxBytes],
      );
      const last = rows.at(-1);
      return {
        entries: rows.map(entryFrom),
        more: last !== undefined && last.left_over > 0,
      };
    },
  };
}
