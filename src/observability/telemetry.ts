/**
 * OpenTelemetry for MCP, by the semantic conventions for MCP (open-telemetry
 * semantic-conventions-genai, `docs/gen-ai/mcp.md`): one SERVER span per MCP message, named
 * `{mcp.method.name} {target}` (`tools/call domain_search`), with the duration histogram
 * `mcp.server.operation.duration`. Deno exports them (`OTEL_DENO=true`; Deno registers the
 * providers, so only the API is imported here). Off — the default — nothing here runs at all.
 *
 * Privacy: no token, email, saved state, argument or result becomes an attribute; the request id
 * (`jsonrpc.request.id`) and the tool's name are the caller's words the span keeps.
 *
 * @module
 */
import {
  type Context,
  context,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

const tracer = trace.getTracer("mcp-connector-kit");
const meter = metrics.getMeter("mcp-connector-kit");
const operationDuration = meter.createHistogram("mcp.server.operation.duration", {
  unit: "s",
  description: "Duration of one MCP request as the server handled it",
});

/** What a span of one MCP message is named and marked with. */
export interface McpMessageFacts {
  /** `tools/call`, `tools/list`, `server/discover`, … */
  method: string;
  /** The tool, for `tools/call`. */
  tool?: string;
  /** The JSON-RPC id, as the caller sent it. */
  requestId?: string | number;
  /** The protocol version the message speaks. */
  protocolVersion?: string;
  /** `params._meta`, where a caller may carry its trace context (`traceparent`, SEP-414). */
  meta?: Record<string, unknown>;
}

/** What a message of `body` is, for its span; `undefined` when it is no JSON-RPC request. */
export function messageFacts(
  body: unknown,
  protocolHeader: string | null,
): McpMessageFacts | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const message = body as Record<string, unknown>;
  if (typeof message.method !== "string") return undefined;
  const params = message.params as Record<string, unknown> | undefined;
  const meta = params?._meta;
  const metaVersion = (meta as Record<string, unknown> | undefined)?.[
    "io.modelcontextprotocol/protocolVersion"
  ];
  const id = message.id;
  return {
    method: message.method,
    ...(message.method === "tools/call" && typeof params?.name === "string"
      ? { tool: params.name.slice(0, 128) }
      : {}),
    // The caller's words, each cut short: an attribute never holds more than a few dozen bytes.
    ...(typeof id === "string" || typeof id === "number"
      ? { requestId: String(id).slice(0, 128) }
      : {}),
    ...(typeof metaVersion === "string"
      ? { protocolVersion: metaVersion.slice(0, 32) }
      : protocolHeader
      ? { protocolVersion: protocolHeader.slice(0, 32) }
      : {}),
    ...(meta !== null && typeof meta === "object" ? { meta: meta as Record<string, unknown> } : {}),
  };
}

/** The span of the message being handled, if telemetry is on. */
const current = () => trace.getActiveSpan();

/**
 * Runs `handle` inside a SERVER span for one MCP message. The span's parent is the trace context
 * the caller sent in `params._meta` when it sent one, else the active one (Deno's HTTP span).
 */
export async function inMcpSpan<T>(facts: McpMessageFacts, handle: () => Promise<T>): Promise<T> {
  const name = facts.tool ? `${facts.method} ${facts.tool}` : facts.method;
  const attributes: Record<string, string | number> = {
    "mcp.method.name": facts.method,
    "network.transport": "tcp",
    "network.protocol.name": "http",
  };
  if (facts.tool) {
    attributes["gen_ai.tool.name"] = facts.tool;
    attributes["gen_ai.operation.name"] = "execute_tool";
  }
  if (facts.requestId !== undefined) attributes["jsonrpc.request.id"] = String(facts.requestId);
  if (facts.protocolVersion) attributes["mcp.protocol.version"] = facts.protocolVersion;
  const parent = callerContext(facts.meta) ?? context.active();
  const started = performance.now();
  return await tracer.startActiveSpan(
    name,
    { kind: SpanKind.SERVER, attributes },
    parent,
    async (span: Span) => {
      try {
        return await handle();
      } catch (error) {
        const type = (error as Error)?.name ?? "Error";
        span.setAttribute("error.type", type);
        spanErrors.set(span, type);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        const measured: Record<string, string> = { "mcp.method.name": facts.method };
        if (facts.tool) measured["gen_ai.tool.name"] = facts.tool;
        const errorType = spanErrors.get(span);
        if (errorType) measured["error.type"] = errorType;
        operationDuration.record((performance.now() - started) / 1000, measured);
        span.end();
      }
    },
  );
}

/** The error type each span was marked with (the API gives no read-back of attributes). */
const spanErrors = new WeakMap<Span, string>();

/**
 * Marks the current message's span with a tool's outcome: `error.type = tool_error` for an
 * `isError` result, and the kit's own failure kind beside it (`kit.failure.kind`: refused,
 * fail_closed, outcome_unknown, call_failed).
 */
export function markToolOutcome(isError: boolean, kind?: string): void {
  const span = current();
  if (!span || !isError) return;
  span.setAttribute("error.type", "tool_error");
  spanErrors.set(span, "tool_error");
  if (kind) span.setAttribute("kit.failure.kind", kind);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** W3C `traceparent`: version, trace id, parent span id, flags. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace context a caller sent in `_meta` (a W3C `traceparent`), if any and valid. */
function callerContext(meta: Record<string, unknown> | undefined): Context | undefined {
  const traceparent = meta?.traceparent;
  if (typeof traceparent !== "string") return undefined;
  const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match || match[1] === "ff") return undefined;
  const remote = {
    traceId: match[2],
    spanId: match[3],
    traceFlags: parseInt(match[4], 16) & 1,
    isRemote: true,
  };
  if (!trace.isSpanContextValid(remote)) return undefined;
  return trace.setSpanContext(context.active(), remote);
}

/** The active trace and span ids, for a log line that leads to its trace. */
export function traceIds(): { traceId: string; spanId: string } | undefined {
  const span = current()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return undefined;
  return { traceId: span.traceId, spanId: span.spanId };
}

/** Whether tool arguments and results go on the spans (`OTEL_KIT_CAPTURE_CONTENT=true`). */
let captureContent = false;

/** Most characters of an argument or result document kept on a span. */
const CONTENT_CHARACTERS = 4_096;

/**
 * Puts tool arguments and results on the spans from now on (`gen_ai.tool.call.arguments`,
 * `gen_ai.tool.call.result`), as the conventions allow on an explicit opt-in only: they are the
 * person's words and data. The session token never goes with them.
 */
export function enableContentCapture(): void {
  captureContent = true;
}

/** With content capture on, the current span gets the call's arguments and its result. */
export function markToolContent(args: Record<string, unknown>, result: unknown): void {
  if (!captureContent) return;
  const span = current();
  if (!span) return;
  const cut = (value: unknown) => {
    // Credentials by their keys (the session token begin_session hands out and every call
    // takes, a confirmation code), wherever they sit; then cut to size.
    const text = JSON.stringify(value, (key, v) => SECRET_KEYS.has(key) ? "[left out]" : v) ?? "";
    return text.length > CONTENT_CHARACTERS ? `${text.slice(0, CONTENT_CHARACTERS)}…` : text;
  };
  span.setAttribute("gen_ai.tool.call.arguments", cut(args ?? {}));
  span.setAttribute("gen_ai.tool.call.result", cut(result));
}

/** Keys whose values are credentials, never captured. */
const SECRET_KEYS = new Set(["session", "token", "code", "confirmation"]);
