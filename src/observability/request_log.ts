/**
 * One structured JSON log line per request: request id, method, path, tool, status, duration and a
 * keyed hash of the person's `sub`. Never tokens, query strings (they carry codes and state),
 * emails, bodies or saved state.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { BearerVariables } from "../auth/bearer.ts";
import { writeLogLine } from "./log_output.ts";
import { type RequestFacts, withRequestFacts } from "./request_context.ts";
import { traceIds } from "./telemetry.ts";

/** Where log lines go (batched to stdout in production; tests capture them). */
export type LogSink = (line: string) => void;

/** Options of {@linkcode requestLog}. */
export interface RequestLogOptions {
  /** HMAC key for hashing `sub`, so log readers cannot look people up by id or email. */
  subjectKey: Uint8Array;
  sink?: LogSink;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The logging middleware; also sets `x-request-id` on every response. */
export function requestLog(options: RequestLogOptions) {
  const sink = options.sink ?? writeLogLine;
  const key = crypto.subtle.importKey(
    "raw",
    options.subjectKey as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  // A person makes many calls: their hash is computed once (an HMAC per request was ≈ 8 % of a
  // cheap call's CPU). Bounded: the oldest go first.
  const hashes = new Map<string, string>();
  const hashSubject = async (sub: string) => {
    const known = hashes.get(sub);
    if (known) return known;
    const mac = await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(sub));
    const hash = Array.from(new Uint8Array(mac).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
      .join("");
    if (hashes.size >= 10_000) hashes.delete(hashes.keys().next().value!);
    hashes.set(sub, hash);
    return hash;
  };

  return createMiddleware<{ Variables: BearerVariables }>(async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    const facts: RequestFacts = {};
    const ids = traceIds();
    let written = false;
    // Runs after the response, outside any request's error handling: it must never throw.
    const write = (status: number) => writeLine(status).catch(() => {});
    const writeLine = async (status: number) => {
      if (written) return;
      written = true;
      const sub = c.get("access")?.identity.sub;
      const line: Record<string, unknown> = {
        time: new Date().toISOString(),
        level: status >= 500 ? "error" : "info",
        msg: "request",
        requestId,
        method: c.req.method,
        // Hono's path is cut from the URL string; `new URL` would throw on a malformed Host.
        path: c.req.path,
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (facts.tool) {
        line.tool = facts.tool;
        line.toolError = facts.toolError;
      }
      // The trace this request is part of (Deno's HTTP span, with OTEL_DENO=true).
      if (ids) {
        line.traceId = ids.traceId;
        line.spanId = ids.spanId;
      }
      const authReason = c.get("authReason");
      if (authReason) line.authReason = authReason;
      if (facts.failure) {
        line.level = "error";
        line.failure = facts.failure;
      }
      if (sub) line.subHash = await hashSubject(sub);
      sink(JSON.stringify(line));
    };
    try {
      await withRequestFacts(facts, next);
    } catch (error) {
      await write(500);
      throw error;
    }
    c.header("x-request-id", requestId);
    const response = c.res;
    const status = response.status;
    // MCP answers may stream: the tool runs while the body is produced, so the line is written once
    // the response has been sent, with the tool it ran and the full duration. Deno.serve says when
    // (`completed`); elsewhere the body is watched instead.
    const completed = (c.env as Partial<Deno.ServeHandlerInfo> | undefined)?.completed;
    if (completed) {
      completed.then(() => write(status), () => write(status));
      return;
    }
    if (!response.body) {
      await write(status);
      return;
    }
    c.res = new Response(
      response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          flush: () => write(status),
          cancel: () => write(status),
        } as Transformer<Uint8Array, Uint8Array>),
      ),
      response,
    );
  });
}
