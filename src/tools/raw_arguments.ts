/**
 * Carries the verdict on a request's raw tool arguments from the HTTP layer to the tool dispatcher.
 *
 * The SDK copies `arguments` into a fresh object before any tool sees it, and that copy drops a
 * top-level `__proto__` key without a trace; so the arguments are judged on the JSON exactly as it
 * was parsed from the body, and the dispatcher asks for the verdict of the request it serves.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { argumentProblem } from "./argument_limits.ts";

const verdicts = new AsyncLocalStorage<{ problem: string | null }>();

/**
 * Judges the tool-call arguments in a parsed JSON-RPC body (a single message or a batch) and runs
 * `serve` with the verdict available to {@linkcode rawArgumentProblem}.
 */
export function withRawArgumentCheck<T>(body: unknown, serve: () => T): T {
  const messages = Array.isArray(body) ? body : [body];
  let problem: string | null = null;
  for (const message of messages) {
    if (problem) break;
    const m = message as { method?: unknown; params?: { arguments?: unknown } } | null;
    if (m && typeof m === "object" && m.method === "tools/call") {
      problem = argumentProblem(m.params?.arguments);
    }
  }
  return verdicts.run({ problem }, serve);
}

/** Why the current request's tool arguments are refused, or `null`. */
export function rawArgumentProblem(): string | null {
  return verdicts.getStore()?.problem ?? null;
}
