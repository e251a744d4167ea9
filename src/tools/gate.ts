/**
 * The session gate around every tool that needs a session, and the one place where failures
 * become fail-closed results.
 *
 * @module
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Identity } from "../auth/identity.ts";
import type { PackBrand, Reply } from "../pack/mod.ts";
import { KvTimeoutError } from "../kv/kv_handle.ts";
import { SessionError } from "../session/errors.ts";
import type { Sessions } from "../session/sessions.ts";
import { StoreError } from "../store/types.ts";

/** Why a session was not accepted, in words for the model. */
function sessionReason(code: SessionError["code"], brand: PackBrand): string {
  switch (code) {
    case "missing":
      return "no session token was given. Call begin_session first and pass its session token as `session`.";
    case "malformed":
      return "the session token is not valid. Call begin_session to start a session.";
    case "expired":
      return "the session has expired. If the person wants to go on, start a new one with begin_session.";
    case "revoked":
      return "the session was ended with end_session. Start a new one with begin_session if needed.";
    case "unknown":
      return `the session is not known to the ${brand.productName}. Start a new one with begin_session.`;
    case "foreign":
      return `the session token belongs to a different ${brand.userNoun} than the one signed in.`;
    case "too_many":
      return `too many sessions were started for this ${brand.userNoun} just now.`;
    case "unavailable":
      return "the session store is unavailable.";
  }
}

/**
 * Turns a failure into the fail-closed result; unexpected errors are logged without details
 * leaking. A write (`writes`) given up on after it was sent is not a failure but an unknown
 * outcome, answered as such: reporting it failed could be false (it may commit).
 */
export function failureResult(
  error: unknown,
  reply: Reply,
  brand: PackBrand,
  writes = false,
): CallToolResult {
  // Starting sessions too fast is the caller's doing, not an outage: refused, with when to retry.
  if (error instanceof SessionError && error.code === "too_many") {
    return reply.refused(error.message);
  }
  if (error instanceof SessionError) return reply.failClosed(sessionReason(error.code, brand));
  if (error instanceof StoreError && error.code === "outcome_unknown" && writes) {
    return reply.outcomeUnknown(
      `Find out first: read the current state again (user_get_profile for saved state, or the ` +
        `${brand.productName}'s own read tools); to try again, send the very same request (with ` +
        "the same idempotency key or expected_version, where the tool takes one), which cannot " +
        "apply it twice.",
    );
  }
  if (error instanceof StoreError) {
    return reply.failClosed(
      error.code !== "unavailable"
        ? `the ${brand.memoryName} did not answer in time.`
        : `the ${brand.memoryName} (database) is unavailable.`,
    );
  }
  if (error instanceof KvTimeoutError) {
    return reply.failClosed("the session store did not answer in time.");
  }
  console.error(`tool failed: ${(error as Error)?.name ?? "error"}`);
  return reply.failClosed("an internal error occurred.");
}

/** What the gate needs. */
export interface GateContext {
  sessions: Sessions;
  reply: Reply;
  brand: PackBrand;
}

/** Runs `work`; any failure fails closed. */
export async function guarded(
  gate: GateContext,
  work: () => Promise<CallToolResult>,
  writes = false,
): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return failureResult(error, gate.reply, gate.brand, writes);
  }
}

/**
 * Runs `work` only for a valid session of `identity`; every failure fails closed.
 *
 * `first`: the session is checked, then the work runs. `beside` (the kit's own cheap reads): the
 * work runs beside the check (one KV read and one database read in parallel rather than in turn)
 * and its result is released only if the session checks out, so nothing is revealed without one.
 */
export function gated(
  gate: GateContext,
  identity: Identity,
  token: string | undefined,
  order: "first" | "beside",
  work: () => Promise<CallToolResult>,
  writes = false,
): Promise<CallToolResult> {
  return guarded(gate, async () => {
    if (order === "first") {
      await gate.sessions.check(token, identity);
      return await work();
    }
    const [check, result] = await Promise.allSettled([
      gate.sessions.check(token, identity),
      work(),
    ]);
    if (check.status === "rejected") throw check.reason;
    if (result.status === "rejected") throw result.reason;
    return result.value;
  }, writes);
}
