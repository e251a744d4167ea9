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
  /** New clients per address per hour, so a few callers cannot spend the global cap. */
  newClientsPerAddress: RateLimiter;
  /** New clients per network (an IPv4 /24, an IPv6 /48) per hour: addresses come in blocks. */
  newClientsPerNetwork: RateLimiter;
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
    // 5 per address and 10 per network: with the default cap of 100 it takes 20 addresses in 10
    // networks to spend an hour's registrations, and a host registering afterwards still can
    // (registering the same metadata again, as claude.ai does on every connect, costs nothing).
    newClientsPerAddress: limiter("register-new", Math.min(5, newClientsPerHour), HOUR),
    newClientsPerNetwork: limiter("register-new-net", Math.min(10, newClientsPerHour), HOUR),
    newClients: limiter("register-new-all", newClientsPerHour, HOUR),
    token: limiter("token", 600, MINUTE),
    metadataLookups: limiter("cimd-lookup", 10, MINUTE),
  };
}
