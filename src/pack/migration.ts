/**
 * A schema change, as a pack (or the kit) declares it. The kit applies each one once per
 * database, in order, recorded under the pack's id and the version.
 *
 * @example A pack's first two migrations
 * ```ts
 * import type { Migration } from "./migration.ts";
 *
 * export const NOTES_MIGRATIONS: readonly Migration[] = [
 *   { version: 1, name: "notes", sql: "CREATE TABLE notes_notes (id serial PRIMARY KEY, user_id text NOT NULL)" },
 *   // v1 has shipped (some database ran it): change the schema with the next one, never by editing v1.
 *   { version: 2, name: "note text", sql: "ALTER TABLE notes_notes ADD COLUMN text text NOT NULL DEFAULT ''" },
 * ];
 * ```
 *
 * @module
 */

/** A versioned schema change. Never edit one that has shipped: add the next. */
export interface Migration {
  /** 1, 2, 3 … in order, unique within the pack. */
  version: number;
  /** A few words on what it does (recorded beside the version). */
  name: string;
  /** The SQL script; it may hold several statements. */
  sql: string;
  /**
   * SHA-256 (hex) of earlier texts of this migration that did the same to every database they
   * ran on: a database that recorded one of them takes this text as the one that ran (and records
   * it), instead of stopping on an edited migration. For moving a step out of a shipped migration
   * into a later one, never for changing what a migration does.
   */
  replaces?: readonly string[];
}
