/**
 * The session gate around every tool that needs a session, and the one place where failures
 * become fail-closed results.
 *
 * @module
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Identity } from "../auth/identity.ts";
import { type PackBrand, Refusal } from "../pack/mod.ts";
import type { KitReply } from "../pack/kit_side.ts";
import { noteFailure } from "../observability/request_context.ts";
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
    case "forgotten":
      return `this ${brand.userNoun}'s data was deleted at their request (user_forget), which ended ` +
        "their sessions. If they want to go on, begin_session starts afresh, as a first visit.";
    case "unknown":
      return `the session is not known to the ${brand.productName} (its record is gone: the ` +
        "session store was reset, or the token is from another server). Start a new one with " +
        "begin_session.";
    case "foreign":
      return `the session token belongs to a different ${brand.userNoun} than the one signed in.`;
    case "too_many":
      return `too many sessions were started for this ${brand.userNoun} just now.`;
    case "unavailable":
      return "the session store is unavailable.";
  }
}

/** Where a failure happened: which tool, whether a pack's, whether it writes. */
export interface CallSite {
  tool: string;
  fromPack: boolean;
  writes: boolean;
}

/**
 * A tool's answer does not fit its output schema: found before the answer leaves (a read's as much
 * as a write's, which is checked before it commits, so it rolls back).
 */
export class OutputMismatch extends Error {
  /** Creates the error; `issues` says what does not fit (`completed.0.at: expected string…`). */
  constructor(readonly issues: string) {
    super(`the answer does not match its output schema: ${issues}`);
    this.name = "OutputMismatch";
  }
}

/**
 * Turns a failure into its answer, the one place that decides what the model is told and what is
 * logged (on the request's log line; never argument values or personal data):
 *
 * - the session, the session store or the memory failing: the fail-closed answer;
 * - a write given up on after it was sent: not a failure but an unknown outcome (it may commit);
 * - a {@linkcode Refusal}, or a statement the database refused for its values (SQLSTATE 22, 54):
 *   refused, nothing changed, with what to fix;
 * - a row written for someone other than the caller (row-level security, SQLSTATE 42501): refused,
 *   nothing changed;
 * - a statement the database refused as wrong (a missing column, a write in a read-only tool):
 *   fail closed, and in development the SQLSTATE and the database's message in the answer;
 * - any other error in a pack's tool: that call failed, the session goes on.
 */
export function failureResult(error: unknown, gate: GateContext, site: CallSite): CallToolResult {
  const { reply, brand } = gate;
  // Starting sessions too fast is the caller's doing, not an outage: refused, with when to retry.
  if (error instanceof SessionError && error.code === "too_many") {
    return reply.refused(error.message);
  }
  if (error instanceof SessionError) return reply.failClosed(sessionReason(error.code, brand));
  if (error instanceof Refusal) return reply.refused(error.message);
  const where = { tool: site.tool, ...(site.fromPack ? { pack: gate.packId } : {}) };
  if (error instanceof StoreError) {
    switch (error.code) {
      case "outcome_unknown":
        if (!site.writes) break;
        return reply.outcomeUnknown(
          `Find out first: read the current state again (user_get_profile for saved state, or the ` +
            `${brand.productName}'s own read tools); to try again, send the very same request (with ` +
            "the same idempotency key or expected_version, where the tool takes one), which cannot " +
            "apply it twice.",
        );
      case "rejected":
        // The database's words quote the value (which may come from a stored row, not the
        // caller): shown in development only; production names the condition.
        noteFailure({ ...where, sqlstate: error.sqlstate, kind: "rejected" });
        return reply.refused(
          `the ${brand.memoryName} cannot take these arguments (${
            gate.development ? error.message : rejectedCondition(error.sqlstate)
          }). Change them and call again.`,
        );
      case "broken":
        noteFailure({ ...where, sqlstate: error.sqlstate, message: error.message });
        // Row-level security refused a row for someone else (store/isolation.ts): the request
        // named another person's record; nothing was written, and the session goes on.
        if (notTheCallers(error)) {
          return reply.refused(
            `that would write a record that is not this ${brand.userNoun}'s own. Act only on ` +
              `the ${brand.userNoun}'s own records.${
                gate.development
                  ? ` (Development: ${site.tool} wrote a row whose user_id is not the verified ` +
                    "caller's; write identity.sub there, never an argument.)"
                  : ""
              }`,
          );
        }
        return reply.failClosed(
          gate.development
            ? `the ${brand.memoryName} refused the query of ${site.tool}: SQLSTATE ${error.sqlstate}: ${error.message}. ${
              brokenHint(error.sqlstate, site)
            } (This detail is shown in development only; it is in the server log too.)`
            : `the ${brand.memoryName} could not answer this request.`,
        );
      case "timeout":
      case "unavailable":
        break;
    }
    return reply.failClosed(
      error.code !== "unavailable"
        ? `the ${brand.memoryName} did not answer in time.`
        : `the ${brand.memoryName} (database) is unavailable.`,
    );
  }
  if (error instanceof KvTimeoutError) {
    return reply.failClosed("the session store did not answer in time.");
  }
  const name = (error as Error)?.name ?? typeof error;
  const message = String((error as Error)?.message ?? error);
  if (error instanceof OutputMismatch) {
    // The issues name fields and what was expected, not the values: logged in production too.
    noteFailure({ ...where, error: name, message });
    return reply.callFailed(
      gate.development
        ? `${site.tool}'s answer does not match its output schema: ${error.issues}. Fix the ` +
          "tool's answer or its outputSchema. (Shown in development only.)"
        : "an error in the connector.",
    );
  }
  if (!site.fromPack) {
    noteFailure({ ...where, error: name });
    return reply.failClosed("an internal error occurred.");
  }
  // A pack's own error: that call failed; the session can go on. The message and stack are the
  // builder's to see in development; in production only the error's name is logged.
  noteFailure(
    gate.development
      ? { ...where, error: name, message, stack: (error as Error)?.stack }
      : { ...where, error: name },
  );
  return reply.callFailed(
    gate.development
      ? `${site.tool} threw ${name}: ${message}. ${
        readsLikeRefusal(error) ? REFUSAL_HINT : ""
      }(Shown in development only; the stack is in the server log.)`
      : "an error in the connector.",
  );
}

/** Said in development when a pack's plain `Error` reads like a refusal of the request. */
const REFUSAL_HINT = "If it is the request that is wrong, refuse it instead: `return " +
  'reply.refused("…")` in the tool, or `throw new Refusal("…")` from the store (src/pack/mod.ts); ' +
  "the caller is then told what to fix, and a write is rolled back. ";

/** Words a message that refuses the caller's request uses (a bug's message rarely does). */
const REFUSAL_WORDS =
  /\b(not found|no such|not allowed|not permitted|invalid|must|cannot|can't|already|unknown|too (many|few|long|short|large|small|early|late)|(is|are) required|out of range|at (most|least))\b/i;

/**
 * Whether `error` is a plain `Error` (not a `TypeError` or a dependency's own error type: those are bugs
 * or outages) whose message reads like a refusal ("item not found", "count must be 1–8").
 */
function readsLikeRefusal(error: unknown): boolean {
  return error instanceof Error && Object.getPrototypeOf(error) === Error.prototype &&
    REFUSAL_WORDS.test(error.message);
}

/** Whether the database refused a row whose `user_id` is not the caller's (row-level security). */
function notTheCallers(error: StoreError): boolean {
  return error.sqlstate === "42501" && /row-level security/i.test(error.message);
}

/** A data exception in words that quote nothing. */
function rejectedCondition(sqlstate: string | undefined): string {
  switch (sqlstate) {
    case "22P02":
      return "a value is not of the expected type";
    case "22001":
      return "a text is too long";
    case "22003":
      return "a number is out of range";
    case "22007":
    case "22008":
      return "a date or time is not valid";
    case "22012":
      return "a division by zero";
    case "2201B":
      return "a pattern is not a valid regular expression";
    case "54001":
      return "the query is too complex";
    default:
      return `SQLSTATE ${sqlstate ?? "unknown"}`;
  }
}

/** What a builder should look at for a refused statement. */
function brokenHint(sqlstate: string | undefined, site: CallSite): string {
  if (sqlstate === "25006") {
    return `${site.tool} is declared access: "read" but writes; declare access: "write".`;
  }
  if (sqlstate?.startsWith("42")) {
    return "Check the query against the pack's migrations (a migration edited after it ran is not run again: add the next one, or reset a development database with deno task db:reset).";
  }
  return "Check the query and the pack's migrations.";
}

/** What the gate needs. */
export interface GateContext {
  sessions: Sessions;
  reply: KitReply;
  brand: PackBrand;
  /** The served pack's id, for the log. */
  packId: string;
  /** Development (no production configuration): failures carry their details to the caller. */
  development: boolean;
}

/** Runs `work`; any failure fails closed. */
export async function guarded(
  gate: GateContext,
  site: CallSite,
  work: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return failureResult(error, gate, site);
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
  site: CallSite,
  identity: Identity,
  token: string | undefined,
  order: "first" | "beside",
  work: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  return guarded(gate, site, async () => {
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
  });
}
