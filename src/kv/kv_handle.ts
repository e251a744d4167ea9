/**
 * One Deno KV connection for the process, reopened after it fails, so a KV outage ends when the
 * store comes back rather than when the process restarts. Every call on the connection it lends has
 * a deadline (see {@linkcode boundedKv}).
 *
 * @module
 */
import { boundedKv, KvTimeoutError } from "./bounded_kv.ts";

export { KvTimeoutError };

/** Deadline of one KV call when none is configured, ms. */
export const DEFAULT_KV_TIMEOUT_MS = 5_000;

/** Lends the current KV connection. */
export interface KvHandle {
  /** Deadline of every KV call made through the handle, ms. */
  readonly timeoutMs: number;
  /** The open connection, reopening it first if it was closed. Rejects while KV cannot be opened. */
  get(): Promise<Deno.Kv>;
  /** Marks the current connection broken (after an operation on it failed); the next `get` reopens. */
  discard(kv: Deno.Kv): void;
  /** Runs `work` on the connection (a shorthand for `work(await get())`). */
  use<T>(work: (kv: Deno.Kv) => Promise<T>): Promise<T>;
  /** Closes the connection for good. */
  close(): void;
}

/**
 * Opens KV at `path` (`undefined`: the platform default, as on Deno Deploy). Every KV call made
 * through the handle rejects with {@linkcode KvTimeoutError} after `timeoutMs`.
 */
export async function openKvHandle(
  path?: string,
  options: { timeoutMs?: number } = {},
): Promise<KvHandle> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KV_TIMEOUT_MS;
  let current: Promise<Deno.Kv> | undefined;
  let closed = false;
  const open = () => {
    current ??= Deno.openKv(path).then((raw) => {
      // Whoever makes a call that finds the connection gone, the next `get` reopens it.
      const kv: Deno.Kv = boundedKv(raw, timeoutMs, (error) => {
        if (isConnectionLost(error)) discard(kv);
      });
      return kv;
    });
    current.catch(() => (current = undefined));
    return current;
  };
  const get = () => closed ? Promise.reject(new Error("KV handle closed")) : open();
  const discard = (kv: Deno.Kv) => {
    current?.then((open) => {
      if (open === kv) current = undefined;
    }, () => {});
    try {
      kv.close();
    } catch { /* already closed */ }
  };
  await open();
  return {
    timeoutMs,
    get,
    discard,
    async use(work) {
      return await work(await get());
    },
    close: () => {
      closed = true;
      current?.then((kv) => {
        try {
          kv.close();
        } catch { /* already closed */ }
      }, () => {});
    },
  };
}

/** Whether `error` means the KV connection itself is gone (rather than a failed operation). */
export function isConnectionLost(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    (error instanceof Error && /closed|database file|disk I\/O/i.test(error.message));
}
