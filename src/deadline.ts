/**
 * The one deadline every store call races: KV calls, database calls and readiness checks alike,
 * and the budget a tool call's store calls share.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

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

/** When the budget of the call running here ends (`performance.now()` time), inside a budget. */
const budgets = new AsyncLocalStorage<number>();

/**
 * What {@linkcode remaining} answers once the budget is spent, ms. A store call given this sends
 * nothing and fails at once with its timeout: nobody waits for its answer any more.
 */
export const BUDGET_SPENT_MS = 1;

/**
 * Runs `fn` with one budget of `ms` for everything it does, from now: each store call it makes,
 * however many, takes its deadline from what is left (see {@linkcode remaining}), so a tool call
 * with several slow store calls in a row still answers within its budget. Inside another budget,
 * the earlier end wins.
 *
 * @example
 * ```ts
 * import { remaining, withBudget } from "./deadline.ts";
 *
 * const left = await withBudget(800, async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 20));
 *   return remaining(5_000);
 * });
 * if (left > 780) throw new Error("the budget did not shrink");
 * ```
 */
export function withBudget<T>(ms: number, fn: () => T): T {
  const outer = budgets.getStore();
  const end = performance.now() + ms;
  return budgets.run(outer !== undefined && outer < end ? outer : end, fn);
}

/**
 * The deadline of a store call made now, ms: `defaultMs` (the store's own per-call deadline)
 * outside a budget; inside one, no more than what is left of it, and never less than
 * {@linkcode BUDGET_SPENT_MS}, which means the budget is spent.
 *
 * @example
 * ```ts
 * import { remaining } from "./deadline.ts";
 *
 * if (remaining(5_000) !== 5_000) throw new Error("outside a budget the default holds");
 * ```
 */
export function remaining(defaultMs: number): number {
  const end = budgets.getStore();
  if (end === undefined) return defaultMs;
  const left = end - performance.now();
  if (left >= defaultMs) return defaultMs;
  return left > BUDGET_SPENT_MS ? Math.ceil(left) : BUDGET_SPENT_MS;
}
