/**
 * Which KV records hold a person's data, so forgetting them can reach all of it. Every record that
 * names a person (a sign-in grant, an authorization code, a pending sign-in, a session) is written
 * with an index entry `["by-person", sub, ...key]` in the same atomic operation and with the same
 * lifetime; forgetting lists that prefix and deletes every record it names.
 *
 * @module
 */

const ROOT = "by-person";

/** The index entry recording that `key` holds data of `sub`. */
export function personIndexKey(sub: string, key: Deno.KvKey): Deno.KvKey {
  return [ROOT, sub, ...key];
}

/** Adds to `op` the index entry for `key`, living as long as the record. */
export function indexForPerson(
  op: Deno.AtomicOperation,
  sub: string,
  key: Deno.KvKey,
  options?: { expireIn?: number },
): Deno.AtomicOperation {
  return op.set(personIndexKey(sub, key), true, options);
}

/** Mutations per atomic commit while deleting (Deno KV allows at most 1,000). */
const BATCH = 200;

/**
 * Deletes every record indexed under `sub`, and the index itself. Returns how many records were
 * deleted. Records written while this runs are indexed too, so a second call finds them.
 */
export async function deletePersonRecords(kv: Deno.Kv, sub: string): Promise<number> {
  const prefix: Deno.KvKey = [ROOT, sub];
  let deleted = 0;
  let op = kv.atomic();
  let pending = 0;
  for await (const entry of kv.list({ prefix }, { consistency: "strong" })) {
    op.delete(entry.key.slice(prefix.length)).delete(entry.key);
    deleted++;
    if (++pending >= BATCH / 2) {
      await commit(op);
      op = kv.atomic();
      pending = 0;
    }
  }
  if (pending > 0) await commit(op);
  return deleted;
}

async function commit(op: Deno.AtomicOperation): Promise<void> {
  const result = await op.commit();
  if (!result.ok) throw new Error("deleting a person's records did not commit");
}

/** Set once every record written before the index existed has its index entry. */
const BACKFILLED: Deno.KvKey = [ROOT + "-backfilled", 1];

/**
 * Where records that name a person live, and how to read the person out of each: what
 * {@linkcode backfillPersonIndex} walks. `sub` may be `null` when a record names no one yet.
 */
export interface PersonRecordKind {
  prefix: Deno.KvKey;
  sub(value: unknown, kv: Deno.Kv): Promise<string | null> | string | null;
}

/**
 * Gives every existing record of the listed kinds its index entry, once per KV store: records
 * written before the index existed (an upgraded server) would otherwise outlive forgetting. Runs
 * again only if it did not finish. Index entries expire when their records would.
 */
export async function backfillPersonIndex(
  kv: Deno.Kv,
  kinds: readonly PersonRecordKind[],
): Promise<void> {
  if ((await kv.get(BACKFILLED)).value !== null) return;
  for (const kind of kinds) {
    for await (const entry of kv.list({ prefix: kind.prefix })) {
      const sub = await kind.sub(entry.value, kv);
      if (sub === null) continue;
      const expiresAt = (entry.value as { expiresAt?: unknown }).expiresAt;
      const left = typeof expiresAt === "number" ? expiresAt - Date.now() : undefined;
      if (left !== undefined && left <= 0) continue;
      await kv.set(personIndexKey(sub, entry.key), true, left ? { expireIn: left } : undefined);
    }
  }
  await kv.set(BACKFILLED, true);
}
