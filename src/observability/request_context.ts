/**
 * What one request did, gathered while it runs (which tool, whether it failed) so the request log
 * line can report it. Carried with AsyncLocalStorage, so the tools need no HTTP plumbing.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Facts about the current request. */
export interface RequestFacts {
  tool?: string;
  toolError?: boolean;
  /** Why a tool failed, for whoever runs the server: never argument values or personal data. */
  failure?: Record<string, unknown>;
}

const storage = new AsyncLocalStorage<RequestFacts>();

/** Runs `fn` with a fresh facts record for one request. */
export function withRequestFacts<T>(facts: RequestFacts, fn: () => T): T {
  return storage.run(facts, fn);
}

/** Records why the current request's tool failed (the request log line carries it, as an error). */
export function noteFailure(failure: Record<string, unknown>): void {
  const facts = storage.getStore();
  if (facts) facts.failure = failure;
  else console.error(JSON.stringify({ level: "error", msg: "tool failed", ...failure }));
}

/** Records the tool the current request called and whether it answered with an error. */
export function noteToolCall(tool: string, isError: boolean): void {
  const facts = storage.getStore();
  if (!facts) return;
  facts.tool = tool;
  facts.toolError = isError;
}
