/**
 * Content a pack ships with and never changes while it runs — a catalogue, a list of places or
 * products. The kit loads it once at start-up, freezes it, and hands it to the pack's store, which
 * answers reads of it from memory. A copy goes into the pack's tables so that the database can
 * search it and join against it; that copy is rewritten only when the content's hash differs
 * from the one the database recorded (a new deploy with new content), never on an ordinary start.
 *
 * Only content that is the same for everyone and fixed per deploy belongs here. What a person
 * writes lives in the database alone.
 *
 * @module
 */
import type { SqlTransaction } from "./sql.ts";

/** A pack's fixed content: how to read it, and how to write it into the pack's tables. */
export interface FixedContent<Content> {
  /**
   * Reads and validates the content (typically a file under `seed/<id>/`). Called once at
   * start-up; a problem stops the start with a message naming it. The value must be plain JSON
   * data (its JSON text is what the hash is taken of).
   */
  load(): Promise<Content>;
  /**
   * Makes the pack's tables hold exactly this content (insert, update, and remove what is gone
   * where nothing refers to it). Runs inside the kit's preparation transaction, after the
   * migrations, and only when the recorded hash differs.
   */
  seed(tx: SqlTransaction, content: Content): Promise<void>;
}

/** Content as loaded: frozen, with the hash that decides whether the database needs a new copy. */
export interface LoadedContent<Content> {
  value: Content;
  /** Hex SHA-256 of the content's JSON text. */
  hash: string;
}

/** Loads `content`, freezes it deeply (it is shared by every request) and hashes it. */
export async function loadFixedContent<Content>(
  content: FixedContent<Content>,
): Promise<LoadedContent<Content>> {
  const value = await content.load();
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(value)),
  );
  const hash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return { value: deepFreeze(value), hash };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
