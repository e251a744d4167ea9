/**
 * The {@linkcode UserStore} in SQL, shared by both backends: `users` and `user_state`, through the
 * `core_*` functions (one round trip per call).
 *
 * @module
 */
import type { Profile, SavedState, SaveOutcome, SqlClient, UserStore } from "./types.ts";

type StateRow = {
  state: Record<string, unknown>;
  version: string | number;
  updated_at: Date | string;
};

/** An SQL timestamp as ISO 8601 (`null` stays `null`). */
export const isoTime = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

function savedFrom(row: StateRow): SavedState {
  return { state: row.state, version: Number(row.version), updatedAt: isoTime(row.updated_at)! };
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
export function createUserStore(sql: SqlClient): UserStore {
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

    async savePatch(sub, patch, { expectedVersion, maxBytes }): Promise<SaveOutcome> {
      const [row] = await sql.query<StateRow & { outcome: string; size_bytes: number | null }>(
        "SELECT outcome, state, version, updated_at, size_bytes FROM core_save_state($1, $2::jsonb, $3, $4)",
        [sub, JSON.stringify(patch), expectedVersion ?? null, maxBytes],
      );
      const saved = savedFrom(row);
      if (row.outcome === "saved") return { outcome: "saved", saved };
      if (row.outcome === "too_large") {
        return { outcome: "too_large", current: saved, sizeBytes: Number(row.size_bytes) };
      }
      return { outcome: "version_conflict", current: saved };
    },
  };
}
