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
import { type Attributes, metrics, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

const tracer = trace.getTracer("mcp-connector-kit");
const meter = metrics.getMeter("mcp-connector-kit");
/** Store calls' durations (the database's and KV's), by system and operation. */
const storeDuration = meter.createHistogram("db.client.operation.duration", {
  unit: "s",
  description: "Duration of one store call (database statement or transaction, KV operation)",
});
/** Requests refused because one person had too many at once, by which bound. */
const personRefusals = meter.createCounter("kit.person.refusals", {
  unit: "{refusal}",
  description: "Requests refused by a per-person bound (answered 429 or refused as too many)",
});
let enabled = false;

/** Turns the spans on for this process (the server does, with `OTEL_DENO=true`). */
export function enableTracing(): void {
  enabled = true;
}

/** Whether spans are made (for a hot path that would otherwise wrap nothing). */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Runs `work` in a CLIENT span named `name` when tracing is on; else just runs it. */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  if (!enabled) return work();
  const started = performance.now();
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    let errorType: string | undefined;
    try {
      return await work();
    } catch (error) {
      errorType = (error as Error)?.name ?? "Error";
      span.setAttribute("error.type", errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      if (attributes["db.system.name"] !== undefined) {
        storeDuration.record((performance.now() - started) / 1000, {
          "db.system.name": attributes["db.system.name"],
          ...(attributes["db.operation.name"] === undefined
            ? {}
            : { "db.operation.name": attributes["db.operation.name"] }),
          ...(errorType ? { "error.type": errorType } : {}),
        });
      }
      span.end();
    }
  });
}

/** Counts a request refused by a per-person bound (`bound`: which one), when telemetry is on. */
export function countPersonRefusal(bound: string): void {
  if (enabled) personRefusals.add(1, { "kit.bound": bound });
}

/** The first keyword of a statement (`SELECT`, `INSERT`, `BEGIN`…): its `db.operation.name`. */
export function operationOf(sql: string): string {
  return /^\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? "QUERY";
}
