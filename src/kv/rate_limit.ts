/**
 * Fixed-window request counting in Deno KV, shared by every instance: bounds what one caller can
 * make us write or fetch (pending authorizations, registrations, token requests, sessions).
 *
 * The bound is exact under concurrency. Each count is a compare-and-set on the window's counter
 * (`check(entry)` then `set(count + 1)`), so parallel requests cannot all read the same count and
 * all pass. Racers in one process take turns on a per-key queue and never conflict with each
 * other; racers in other instances conflict and retry a bounded number of times, and a request
 * that runs out of retries is refused, never let through.
 *
 * @module
 */
import { remaining } from "../deadline.ts";
import { type KvHandle, KvTimeoutError } from "./kv_handle.ts";

/** Outcome of counting one request. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Options of one {@linkcode RateLimiter.hit}. */
export interface HitOptions {
  /** Clock, for tests. */
  now?: number;
  /**
   * Adds the caller's own writes (and checks) to the counting operation — by calling `op.set`,
   * `op.check`…, not by returning it: an AtomicOperation cannot pass through a promise. The count
   * and the write it pays for commit together or not at all. Called again on every retry; it may
   * throw to abandon the request, and then nothing is counted and the error propagates.
   */
  with?: (op: Deno.AtomicOperation, db: Deno.Kv) => void | Promise<void>;
}

/** Counts requests per key in windows of `windowMs`, allowing `limit` per window. */
export interface RateLimiter {
  /** Requests allowed per window. */
  readonly limit: number;
  /** Counts one request for `key`: allowed (and counted) or refused (and not counted). */
  hit(key: string, options?: HitOptions): Promise<RateDecision>;
  /** Deletes `key`'s live counts (this window's and the last), e.g. when the key is a person forgotten. */
  forget(key: string, options?: { now?: number }): Promise<void>;
}

/** Keys longer than this (UTF-8 bytes) are hashed: Deno KV keys are limited to 2 KiB. */
const MAX_PLAIN_KEY_BYTES = 128;
/** Full windows remembered in this process, so a flood against a full window costs no KV read. */
const MAX_REMEMBERED_FULL = 10_000;

/** Creates a limiter named `scope` (its KV keys are `["rate", scope, key, window]`). */
export function createRateLimiter(
  kv: KvHandle,
  options: {
    scope: string;
    limit: number;
    windowMs: number;
    /**
     * Longest a request waits for its turn behind earlier requests for the same key (default: the
     * handle's KV deadline). While KV is slow every turn lasts up to a KV deadline, so without this bound
     * the hundredth parallel request would wait a hundred deadlines.
     */
    maxWaitMs?: number;
  },
): RateLimiter {
  const { scope, limit, windowMs } = options;
  const maxWaitMs = options.maxWaitMs ?? kv.timeoutMs;
  /** Windows known to be full, by counter id, until their end: counts never go down in a window. */
  const full = new Map<string, number>();
  const retryAfter = (window: number, now: number) =>
    Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));

  return {
    limit,
    async forget(key, { now = Date.now() } = {}) {
      const window = Math.floor(now / windowMs);
      const bounded = await boundedKey(key);
      for (const w of [window - 1, window]) {
        full.delete(JSON.stringify(["rate", scope, bounded, w]));
      }
      await kv.use((db) =>
        db.atomic()
          .delete(["rate", scope, bounded, window - 1])
          .delete(["rate", scope, bounded, window])
          .commit()
      );
    },
    async hit(key, { now = Date.now(), with: extend } = {}) {
      // Counting gives up at one KV deadline from here, however long the turn took to come; inside
      // a tool call, at the end of its budget when that comes first (see `withBudget`), and the
      // wait for the turn too.
      const giveUpAt = Date.now() + remaining(kv.timeoutMs);
      const waitMs = remaining(maxWaitMs);
      const window = Math.floor(now / windowMs);
      const counterKey: Deno.KvKey = ["rate", scope, await boundedKey(key), window];
      const id = JSON.stringify(counterKey);
      if ((full.get(id) ?? 0) > now) {
        return { allowed: false, retryAfterSeconds: retryAfter(window, now) };
      }
      return await takeTurn(id, waitMs, () =>
        kv.use(async (db): Promise<RateDecision> => {
          for (let attempt = 0; attempt === 0 || Date.now() < giveUpAt; attempt++) {
            const entry = await db.get<number>(counterKey, { consistency: "strong" });
            const count = entry.value ?? 0;
            if (count >= limit) {
              if (full.size >= MAX_REMEMBERED_FULL) full.clear();
              full.set(id, (window + 1) * windowMs);
              return { allowed: false, retryAfterSeconds: retryAfter(window, now) };
            }
            const op = db.atomic().check(entry).set(counterKey, count + 1, {
              expireIn: windowMs * 2,
            });
            await extend?.(op, db);
            if ((await op.commit()).ok) return { allowed: true };
            // Another instance counted first (or the caller's own check failed): read again, after
            // a jittered pause, for as long as the KV deadline allows.
            await new Promise((resolve) =>
              setTimeout(resolve, Math.random() * 5 * Math.min(attempt + 1, 10))
            );
          }
          // Contention outlasted the deadline: not "too many" (the count is not known to be over),
          // and never let through — the store did not answer in time.
          throw new KvTimeoutError("rate limit count", kv.timeoutMs);
        }));
    },
  };
}

/** Tail of each key's queue of callers in this process. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier caller for `id` in this process has finished. A caller whose turn
 * has not come within `maxWaitMs` gives up with {@linkcode KvTimeoutError}, and its `work` is then
 * skipped rather than run late: a request nobody waits for any more must not be counted or written.
 */
async function takeTurn<T>(id: string, maxWaitMs: number, work: () => Promise<T>): Promise<T> {
  const before = queues.get(id) ?? Promise.resolve();
  let gaveUp = false;
  const run = () =>
    gaveUp ? Promise.reject(new KvTimeoutError("rate limit turn", maxWaitMs)) : work();
  const mine = before.then(run, run);
  const tail = mine.catch(() => {});
  queues.set(id, tail);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp = true;
      reject(new KvTimeoutError("rate limit turn", maxWaitMs));
    }, maxWaitMs);
  });
  try {
    // Once `work` has started it is bounded by the KV deadlines of its own calls.
    return await Promise.race([
      before.then(() => {}, () => {}).then(() => {
        clearTimeout(timer);
        return mine;
      }),
      waited,
    ]);
  } finally {
    clearTimeout(timer);
    if (queues.get(id) === tail) queues.delete(id);
  }
}

/**
 * A rate-limit key that always fits in a KV key: an attacker-chosen value (a long external `sub`)
 * must not make the count fail with "key too large" — that would fail open or fail loudly.
 */
async function boundedKey(key: string): Promise<string> {
  if (new TextEncoder().encode(key).length <= MAX_PLAIN_KEY_BYTES) return key;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return `sha256:${
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}
