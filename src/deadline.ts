/**
 * The one deadline every store call races: KV calls, database calls and readiness checks alike.
 *
 * @module
 */

/**
 * Settles as `promise` does, or rejects with `timeout()` once `ms` have passed. A `promise` that
 * settles after its deadline is absorbed: its late failure must not surface as an unhandled
 * rejection.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
