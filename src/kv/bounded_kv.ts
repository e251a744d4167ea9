/**
 * Deno KV with a deadline on every call. Local KV is a SQLite file: while another process holds its
 * write lock, a KV call simply waits, for as long as the lock lasts, with no deadline of its own. A
 * tool waiting on it would leave the host hanging instead of failing closed, so every read, write
 * and commit here races a timer, exactly like the database calls.
 *
 * @module
 */
import { BUDGET_SPENT_MS, remaining, withDeadline } from "../deadline.ts";
import { CodedError } from "../errors.ts";

/** A KV call missed its deadline. The call itself may still complete later. */
export class KvTimeoutError extends CodedError<"timeout"> {
  /** Creates the error; the message names the operation, never keys or values. */
  constructor(operation: string, timeoutMs: number) {
    super("timeout", `KV ${operation}: no answer within ${timeoutMs} ms`);
  }
}

/** Calls of `Deno.Kv` that talk to the store and so get the deadline. */
const BOUNDED_CALLS = new Set(["get", "getMany", "set", "delete", "enqueue"]);

/**
 * Wraps `kv` so that `get`, `getMany`, `set`, `delete`, `enqueue` and `atomic().commit()` reject
 * with {@linkcode KvTimeoutError} after `timeoutMs` — inside a tool call, after what is left of the
 * call's budget (see `withBudget`), when that is less. Everything else passes through unchanged.
 * `onFailure` hears every other failure of those calls (the handle uses it to notice a lost
 * connection, whoever made the call).
 */
export function boundedKv(
  kv: Deno.Kv,
  timeoutMs: number,
  onFailure: (error: unknown) => void = () => {},
): Deno.Kv {
  const call = <T>(operation: string, start: () => Promise<T>): Promise<T> => {
    const ms = remaining(timeoutMs);
    // The call's budget is spent: nobody waits for this answer, so nothing is sent.
    if (ms <= BUDGET_SPENT_MS) return Promise.reject(new KvTimeoutError(operation, 0));
    const deadline = Date.now() + ms;
    const attempt = async (tries: number): Promise<T> => {
      try {
        return await start();
      } catch (error) {
        // Another process holds the file's write lock just now: SQLite answers "database is
        // locked" at once instead of waiting. That is contention, not an outage, so the call is
        // tried again after a jittered pause, for as long as its deadline allows.
        const pause = Math.min(100, 2 ** tries) * (0.5 + Math.random());
        if (!isLocked(error) || Date.now() + pause >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, pause));
        return await attempt(tries + 1);
      }
    };
    const pending = attempt(0);
    pending.catch(onFailure);
    return withDeadline(pending, ms, () => new KvTimeoutError(operation, ms));
  };
  return new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "atomic") return () => boundedAtomic(target.atomic(), call);
      if (typeof property === "string" && BOUNDED_CALLS.has(property)) {
        return (...args: unknown[]) => call(property, () => value.apply(target, args));
      }
      return value.bind(target);
    },
  });
}

function boundedAtomic(
  op: Deno.AtomicOperation,
  call: <T>(operation: string, start: () => Promise<T>) => Promise<T>,
): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "commit") return () => call("commit", () => target.commit());
      // The builder methods return the operation itself: keep handing out the bounded one.
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

/** Whether `error` is SQLite's answer to a write lock held by another process. */
export function isLocked(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);
}
