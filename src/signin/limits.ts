/**
 * The development issuer's rate limits, in one place. Per-address bounds are generous: hosts such
 * as claude.ai call from shared cloud addresses, so one address is often many people.
 *
 * @module
 */
import { createRateLimiter, type RateLimiter } from "../kv/rate_limit.ts";
import type { KvHandle } from "../kv/kv_handle.ts";

/** Every bound the sign-in routes apply. */
export interface SigninLimits {
  /** Sign-in starts per address per minute: each writes a pending request. */
  authorize: RateLimiter;
  /** Registration requests per address per minute, new or repeated. */
  register: RateLimiter;
  /** New clients per address per hour, so one caller cannot spend the global cap. */
  newClientsPerAddress: RateLimiter;
  /** New clients per hour for everyone together (`DCR_MAX_PER_HOUR`). */
  newClients: RateLimiter;
  /** Token requests per address per minute. */
  token: RateLimiter;
  /** Lookups of client metadata URLs not in the cache, per address per minute (DNS, fetch). */
  metadataLookups: RateLimiter;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Builds the limits; `newClientsPerHour` is the global registration cap. */
export function createSigninLimits(kv: KvHandle, newClientsPerHour: number): SigninLimits {
  const limiter = (scope: string, limit: number, windowMs: number) =>
    createRateLimiter(kv, { scope, limit, windowMs });
  return {
    authorize: limiter("authorize", 60, MINUTE),
    register: limiter("register", 20, MINUTE),
    newClientsPerAddress: limiter("register-new", Math.min(10, newClientsPerHour), HOUR),
    newClients: limiter("register-new-all", newClientsPerHour, HOUR),
    token: limiter("token", 600, MINUTE),
    metadataLookups: limiter("cimd-lookup", 10, MINUTE),
  };
}
