/**
 * Child spans for the work that costs (a database statement, a KV operation, a token check),
 * below the MCP message's span (`observability/telemetry.ts`). Off unless the server turns it on
 * at start ({@linkcode enableTracing}, with `OTEL_DENO=true`): then each is a real span exported
 * by Deno; off, {@linkcode inSpan} is a plain call.
 *
 * Attributes never hold a parameter value, a token, a key's contents or a person's data.
 *
 * @module
 */
import { type Attributes, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

const tracer = trace.getTracer("mcp-connector-kit");
let enabled = false;

/** Turns the spans on for this process (the server does, with `OTEL_DENO=true`). */
export function enableTracing(): void {
  enabled = true;
}

/** Runs `work` in a CLIENT span named `name` when tracing is on; else just runs it. */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  if (!enabled) return work();
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setAttribute("error.type", (error as Error)?.name ?? "Error");
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The first keyword of a statement (`SELECT`, `INSERT`, `BEGIN`…): its `db.operation.name`. */
export function operationOf(sql: string): string {
  return /^\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? "QUERY";
}
