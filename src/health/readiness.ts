/**
 * Readiness: do Postgres and Deno KV answer within a deadline?
 *
 * @module
 */
import { type KvHandle, KvTimeoutError } from "../kv/kv_handle.ts";
import { type ReadingStore, StoreError } from "../store/types.ts";

/** Outcome of one dependency check. */
export type CheckOutcome = "ok" | "failed" | "timeout";

/** The readiness report. */
export interface Readiness {
  ready: boolean;
  checks: { database: CheckOutcome; kv: CheckOutcome };
}

/** Checks both stores in parallel, each under `timeoutMs`. */
export async function checkReadiness(
  deps: { store: ReadingStore; kv: KvHandle },
  timeoutMs: number,
): Promise<Readiness> {
  const [database, kv] = await Promise.all([
    within(timeoutMs, () => deps.store.ping()),
    within(timeoutMs, async () => {
      await deps.kv.use((db) => db.get(["readiness"], { consistency: "strong" }));
    }),
  ]);
  return { ready: database === "ok" && kv === "ok", checks: { database, kv } };
}

async function within(timeoutMs: number, check: () => Promise<void>): Promise<CheckOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([
      check().then((): CheckOutcome => "ok", (error): CheckOutcome =>
        // A store that missed its own deadline is slow, not broken: say so.
        error instanceof KvTimeoutError ||
          (error instanceof StoreError && error.code === "timeout")
          ? "timeout"
          : "failed"),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
