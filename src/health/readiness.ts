/**
 * Readiness: do Postgres and Deno KV answer within a deadline?
 *
 * @module
 */
import { withDeadline } from "../deadline.ts";
import { type KvHandle, KvTimeoutError } from "../kv/kv_handle.ts";
import { StoreError } from "../store/types.ts";

/**
 * Outcome of one dependency check. `schema`: the database answers, but its schema could not be
 * prepared (a migration failed, or one that ran was changed since): the server log and the tools'
 * answers in development say which.
 */
export type CheckOutcome = "ok" | "failed" | "timeout" | "schema";

/** Each outcome in words, for the landing page and the `health` tool. */
export const CHECK_WORDS: Readonly<Record<CheckOutcome, string>> = {
  ok: "answering",
  failed: "unavailable",
  timeout: "not answering in time",
  schema: "answering, but its schema could not be prepared (see the server log)",
};

/** {@linkcode Readiness.kvReplacedAt} in words, for the landing page and the `health` tool. */
export const KV_REPLACED_WORDS =
  "lost its file just now (reopened; sessions begun before are gone)";

/** How long a KV file found replaced is reported, so an operator sees it. */
const REPLACED_SHOWS_MS = 60_000;

/**
 * An external issuer's state: its keys can be had, it cannot be reached, or its metadata names
 * another issuer than `AUTH_ISSUER` (a configuration mistake: nothing can be verified).
 */
export type IssuerOutcome = "ok" | "unreachable" | "mismatch";

/** The readiness report. */
export interface Readiness {
  /** Whether the instance can serve: both stores answer, and it is not shutting down. */
  ready: boolean;
  checks: { database: CheckOutcome; kv: CheckOutcome; issuer?: IssuerOutcome };
  /** With an external issuer that is not `ok`: what is wrong, in words (no secret in them). */
  issuerProblem?: string;
  /**
   * When the KV file was found deleted or replaced under the server (ISO 8601), within the last
   * minute. Information, not a failure: the server reopened KV at the path and serves again (the
   * `kv` check says whether it answers), but what the old file held is gone.
   */
  kvReplacedAt?: string;
  /** Set once the server is shutting down: it serves what still reaches it, but wants no more. */
  draining?: true;
}

/** Options of {@linkcode readinessCheck}. */
export interface ReadinessOptions {
  /** Deadline of each store's check, ms. */
  timeoutMs: number;
  /** After a KV write succeeded, later checks only read KV for this long, ms. */
  writeEveryMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Builds the readiness check: both stores in parallel, each under `timeoutMs`. KV is probed with a
 * write (a KV file whose write lock another process holds still answers reads, yet every session
 * start would wait on it), but after a write succeeded only once per `writeEveryMs`: readiness is
 * public, and must not let anyone turn requests into KV writes. A failed write is not remembered,
 * so an outage shows on the next check and its end does too.
 */
export function readinessCheck(
  deps: {
    database: { ping(): Promise<void> };
    kv: KvHandle;
    /** An external issuer's check (see `auth/key_source.ts`), when one is configured. */
    issuer?: () => Promise<{ state: IssuerOutcome; detail?: string }>;
  },
  { timeoutMs, writeEveryMs = 2_000, now = Date.now }: ReadinessOptions,
): () => Promise<Readiness> {
  let lastWrite = -Infinity;
  const probeKv = async () => {
    if (now() - lastWrite < writeEveryMs) {
      await deps.kv.use((db) => db.get(["readiness"], { consistency: "strong" }));
      return;
    }
    await deps.kv.use((db) => db.set(["readiness"], now(), { expireIn: 60_000 }));
    lastWrite = now();
  };
  return async () => {
    // The file first: one found replaced is reopened, and the probe then judges the new one.
    const replacedAt = await deps.kv.checkFile().catch(() => undefined);
    const [database, kv, issuer] = await Promise.all([
      within(timeoutMs, () => deps.database.ping()),
      within(timeoutMs, probeKv),
      deps.issuer ? issuerWithin(timeoutMs, deps.issuer) : undefined,
    ]);
    const report: Readiness = {
      ready: database === "ok" && kv === "ok" && (issuer === undefined || issuer.state === "ok"),
      checks: { database, kv, ...(issuer ? { issuer: issuer.state } : {}) },
    };
    if (issuer?.detail !== undefined && issuer.state !== "ok") report.issuerProblem = issuer.detail;
    if (replacedAt !== undefined && now() - replacedAt < REPLACED_SHOWS_MS) {
      report.kvReplacedAt = new Date(replacedAt).toISOString();
    }
    return report;
  };
}

/**
 * `readiness`, not ready (and marked draining) once `draining()` holds: a server shutting down
 * still serves what reaches it, but a balancer must stop sending it more.
 */
export function drainingReadiness(
  readiness: () => Promise<Readiness>,
  draining: () => boolean,
): () => Promise<Readiness> {
  return async () => {
    const report = await readiness();
    return draining() ? { ...report, ready: false, draining: true } : report;
  };
}

/**
 * A readiness check shared by everyone who asks while it runs, and for `reuseMs` after it settles.
 * Readiness is public and each check writes to KV and queries the database, so a burst of probes
 * must not become a burst of store work.
 */
export function sharedReadiness(
  check: () => Promise<Readiness>,
  reuseMs: number,
  now: () => number = Date.now,
): () => Promise<Readiness> {
  let current: Promise<Readiness> | undefined;
  let settledAt = -Infinity;
  return () => {
    // While a check runs `settledAt` is Infinity, so everyone asking then shares it.
    if (current && now() - settledAt < reuseMs) return current;
    settledAt = Infinity;
    const started = check().finally(() => (settledAt = now()));
    current = started;
    return started;
  };
}
async function within(timeoutMs: number, check: () => Promise<void>): Promise<CheckOutcome> {
  try {
    await withDeadline(check(), timeoutMs, () => new ReadinessTimeout());
    return "ok";
  } catch (error) {
    if (error instanceof StoreError && error.code === "broken") return "schema";
    // A store that missed its own deadline is slow, not broken: say so.
    return error instanceof ReadinessTimeout || error instanceof KvTimeoutError ||
        (error instanceof StoreError && error.code === "timeout")
      ? "timeout"
      : "failed";
  }
}

class ReadinessTimeout extends Error {}

/** The issuer's check, or `unreachable` when it takes longer than `ms`. */
async function issuerWithin(
  ms: number,
  check: () => Promise<{ state: IssuerOutcome; detail?: string }>,
): Promise<{ state: IssuerOutcome; detail?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<{ state: IssuerOutcome; detail: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ state: "unreachable", detail: "the issuer did not answer in time" }),
      ms,
    );
  });
  try {
    return await Promise.race([check(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** {@linkcode IssuerOutcome} in words, for the landing page. */
export const ISSUER_WORDS: Readonly<Record<IssuerOutcome, string>> = {
  ok: "its keys answering",
  unreachable: "not reachable just now (sign-in and calls wait for it)",
  mismatch: "misconfigured: AUTH_ISSUER does not match what the issuer calls itself",
};
