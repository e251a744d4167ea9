/**
 * One Deno KV connection for the process, reopened after it fails, so a KV outage ends when the
 * store comes back rather than when the process restarts. Every call on the connection it lends has
 * a deadline (see {@linkcode boundedKv}).
 *
 * @module
 */
import { inSpan } from "../tracing.ts";
import { boundedKv, KvTimeoutError } from "./bounded_kv.ts";

export { KvTimeoutError };

/** Deadline of one KV call when none is configured, ms. */
export const DEFAULT_KV_TIMEOUT_MS = 5_000;

/** Lends the current KV connection. */
export interface KvHandle {
  /**
   * Deadline of every KV call made through the handle, ms; in a tool call, at most what the call's
   * budget has left.
   */
  readonly timeoutMs: number;
  /** The open connection, reopening it first if it was closed. Rejects while KV cannot be opened. */
  get(): Promise<Deno.Kv>;
  /** Marks the current connection broken (after an operation on it failed); the next `get` reopens. */
  discard(kv: Deno.Kv): void;
  /** Runs `work` on the connection (a shorthand for `work(await get())`). */
  use<T>(work: (kv: Deno.Kv) => Promise<T>): Promise<T>;
  /**
   * Checks now that the KV file is still the one opened (not deleted or replaced), reopening at
   * the path if not. Resolves with when that last happened (ms since the epoch), if ever.
   */
  checkFile(): Promise<number | undefined>;
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
  let checkedAt = -Infinity;
  let replacedAt: number | undefined;
  /** The identity of the file each connection opened (local KV only), once known. */
  const openedFile = new WeakMap<Promise<Deno.Kv>, string>();
  // A networked KV (a URL) or an in-memory one has no file to lose.
  const file = path && !/^(https?:|:memory:)/.test(path) ? path : undefined;
  /** `dev:inode` of the file at the path, "missing", or `undefined` when it cannot be told. */
  const identity = async () => {
    if (!file) return undefined;
    try {
      const stat = await Deno.stat(file);
      return `${stat.dev}:${stat.ino}`;
    } catch (error) {
      return error instanceof Deno.errors.NotFound ? "missing" : undefined;
    }
  };
  /**
   * A KV file deleted or replaced under an open connection goes unnoticed by SQLite: writes land in
   * the ghost, lost at the next start and invisible to any other process on the path. So the file
   * is checked (a stat, at most once a second on the way to a call) and reopened when it changed.
   * Checks running together share one; a connection still opening is not judged.
   */
  let checking: Promise<number | undefined> | undefined;
  const checkFile = () => {
    checking ??= (async () => {
      checkedAt = Date.now();
      const connection = current;
      const was = connection && openedFile.get(connection);
      if (!file || !connection || was === undefined) return replacedAt;
      const now = await identity();
      if (now !== undefined && now !== was && current === connection) {
        replacedAt = Date.now();
        console.error("kv: the KV file was deleted or replaced under the server; reopened it");
        current = undefined;
        connection.then((kv) => {
          try {
            kv.close();
          } catch { /* closed already (by whoever found it lost) */ }
        }, () => {});
      }
      return replacedAt;
    })().finally(() => (checking = undefined));
    return checking;
  };
  const open = () => {
    if (current) return current;
    const opening: Promise<Deno.Kv> = Deno.openKv(path).then(async (raw) => {
      const opened = await identity();
      if (opened !== undefined) openedFile.set(opening, opened);
      // Whoever makes a call that finds the connection gone, the next `get` reopens it.
      const kv: Deno.Kv = boundedKv(raw, timeoutMs, (error) => {
        if (isConnectionLost(error)) discard(kv);
      });
      return kv;
    });
    current = opening;
    opening.catch(() => {
      if (current === opening) current = undefined;
    });
    return opening;
  };
  const get = async () => {
    if (closed) throw new Error("KV handle closed");
    if (file && Date.now() - checkedAt > 1_000) await checkFile();
    return await open();
  };
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
    use(work) {
      return inSpan("kv", { "db.system.name": "deno_kv" }, async () => work(await get()));
    },
    checkFile,
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
