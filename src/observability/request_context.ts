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
}

const storage = new AsyncLocalStorage<RequestFacts>();

/** Runs `fn` with a fresh facts record for one request. */
export function withRequestFacts<T>(facts: RequestFacts, fn: () => T): T {
  return storage.run(facts, fn);
}

/** Records the tool the current request called and whether it answered with an error. */
export function noteToolCall(tool: string, isError: boolean): void {
  const facts = storage.getStore();
  if (!facts) return;
  facts.tool = tool;
  facts.toolError = isError;
}
