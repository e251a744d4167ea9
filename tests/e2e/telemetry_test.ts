/**
 * OpenTelemetry, end to end: the connector runs as its own process with `OTEL_DENO=true`, Deno
 * exports over OTLP/HTTP (JSON) to a receiver this test starts, and what arrives is read back:
 * the span per MCP message by the MCP semantic conventions, its parent (Deno's HTTP span, or the
 * caller's `traceparent` in `_meta`), the `tool_error` marking, the duration metric, the request
 * log line's trace ids — and nowhere a token or an email.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { baseEnv, mintFor, spawnConnector } from "../helpers/process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** An OTLP/HTTP JSON receiver: keeps every body posted to /v1/{traces,metrics,logs}. */
function startReceiver() {
  const bodies: { path: string; text: string }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (r) => {
    bodies.push({ path: new URL(r.url).pathname, text: await r.text() });
    return Response.json({});
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

type Attribute = { key: string; value: Record<string, unknown> };
type OtlpSpan = {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: Attribute[];
};

const valueOf = (attributes: Attribute[] | undefined, key: string) => {
  const value = attributes?.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

function spansIn(bodies: { path: string; text: string }[]): OtlpSpan[] {
  return bodies.filter((b) => b.path === "/v1/traces").flatMap((b) =>
    // deno-lint-ignore no-explicit-any
    JSON.parse(b.text).resourceSpans.flatMap((r: any) =>
      // deno-lint-ignore no-explicit-any
      r.scopeSpans.flatMap((s: any) => s.spans)
    )
  );
}

/** The connector as its own process with OpenTelemetry on, exporting JSON to `endpoint`. */
function spawnWithTelemetry(dataDir: string, endpoint: string, env: Record<string, string> = {}) {
  return spawnConnector(["run", "-A", "main.ts"], {
    ...baseEnv(),
    PORT: "0",
    DATA_DIR: dataDir,
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    ...env,
  }, ROOT);
}

Deno.test("OTEL_DENO=true: a span per MCP message by the MCP conventions, a metric, and log lines that lead to their trace", async () => {
  await using receiver = startReceiver();
  const dataDir = await Deno.makeTempDir({ prefix: "kit-otel-" });
  try {
    await using app = await spawnWithTelemetry(dataDir, receiver.endpoint, {
      OTEL_SERVICE_NAME: "kit-under-test",
    });
    const token = await mintFor(dataDir, "otel-reader");
    const post = async (body: unknown) => {
      const response = await fetch(`${app.origin}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify(body),
      });
      return await response.json();
    };
    const call = (id: number, name: string, args: Record<string, unknown>, meta?: object) =>
      post({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
      });
    await post({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    const begun = await call(2, "begin_session", {});
    const session = begun.result.structuredContent.session.token;
    await call(3, "domain_search", { session, query: "light" });
    const missing = await call(4, "domain_get_item", { session, id: "zz9" });
    assert(missing.result.isError, JSON.stringify(missing));
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    await call(5, "domain_search", { session, query: "sea" }, {
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
    });
    // A batch: one span per call.
    await post([
      { jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "health", arguments: {} } },
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "health", arguments: {} } },
    ]);

    // A sign-in request (a host registering), for its own span.
    const registered = await fetch(`${app.origin}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "otel-test",
        redirect_uris: ["http://localhost:33418/callback"],
        token_endpoint_auth_method: "none",
      }),
    });
    assertEquals(registered.status, 201, await registered.text());

    // Deno exports in batches: stop the server so everything is flushed, then read.
    app.child.kill("SIGTERM");
    await app.child.status;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !receiver.bodies.some((b) => b.path === "/v1/metrics")) {
      await new Promise((r) => setTimeout(r, 100));
    }

    const spans = spansIn(receiver.bodies);
    const named = (name: string) => spans.filter((s) => s.name === name);
    assertEquals(named("tools/list").length, 1, spans.map((s) => s.name).join(", "));
    const search = named("tools/call domain_search");
    assertEquals(search.length, 2);
    for (const span of [...search, ...named("tools/call begin_session")]) {
      assertEquals(span.kind, 2, "SERVER");
      assertEquals(valueOf(span.attributes, "mcp.method.name"), "tools/call");
      assertEquals(valueOf(span.attributes, "gen_ai.operation.name"), "execute_tool");
      assertEquals(valueOf(span.attributes, "network.transport"), "tcp");
    }
    assertEquals(valueOf(search[0].attributes, "gen_ai.tool.name"), "domain_search");
    assertEquals(valueOf(search[0].attributes, "jsonrpc.request.id"), "3");
    assertEquals(valueOf(search[0].attributes, "mcp.protocol.version"), "2025-11-25");
    assertEquals(valueOf(search[0].attributes, "error.type"), undefined);
    // Its parent is Deno's HTTP span of the same request.
    const http = spans.find((s) => s.spanId === search[0].parentSpanId);
    assert(http, "the MCP span has no parent among the exported spans");
    assertEquals(http.traceId, search[0].traceId);
    assertEquals(http.kind, 2);
    // Where its time went: a child span per database statement (no parameter values).
    const statements = spans.filter((s) =>
      s.parentSpanId === search[0].spanId &&
      valueOf(s.attributes, "db.system.name") === "postgresql"
    );
    assert(statements.length > 0, "no database span under tools/call domain_search");
    assert(statements.some((s) => valueOf(s.attributes, "db.operation.name") === "SELECT"));
    assert(spans.some((s) => valueOf(s.attributes, "db.system.name") === "deno_kv"), "no KV span");
    const checks = spans.filter((s) => s.name === "verify access token");
    assert(checks.some((s) => valueOf(s.attributes, "kit.cache.hit") === false), "no first check");
    assert(checks.some((s) => valueOf(s.attributes, "kit.cache.hit") === true), "no cache hit");
    assertEquals(valueOf(statements[0].attributes, "kit.pack"), "reading_room");
    assert(spans.some((s) => s.name === "content load"), "no content load span");
    // The store calls' durations, and no sign-in span for /mcp (only the sign-in's routes).
    const allMetrics = receiver.bodies.filter((b) => b.path === "/v1/metrics").map((b) => b.text)
      .join("\n");
    assert(allMetrics.includes("db.client.operation.duration"), "no store-call metric");
    assert(!spans.some((s) => s.name.startsWith("signin ") && s.name.includes("/mcp")));
    assert(spans.some((s) => s.name === "signin POST /register"), "no sign-in span");
    // The caller's trace context in _meta is honoured.
    assertEquals(search[1].traceId, callerTrace);
    assertEquals(search[1].parentSpanId, callerSpan);
    // A refused call is a tool error, with the kit's kind.
    const [refused] = named("tools/call domain_get_item");
    assertEquals(valueOf(refused.attributes, "error.type"), "tool_error");
    assertEquals(valueOf(refused.attributes, "kit.failure.kind"), "refused");
    assertEquals(named("tools/call health").length, 2, "a batch: a span per call");

    // The duration metric, by method and tool.
    const metrics = receiver.bodies.filter((b) => b.path === "/v1/metrics").map((b) => b.text)
      .join("\n");
    assert(metrics.includes("mcp.server.operation.duration"), "no mcp.server.operation.duration");

    // The request log line carries its trace: exported as a log record, and on stdout.
    const requestLines = app.lines.filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l));
    const logged = requestLines.find((l) => l.traceId === search[0].traceId);
    assert(logged, `no request log line with trace ${search[0].traceId}`);
    assertEquals(logged.spanId, search[0].parentSpanId);

    // Nothing exported holds the token, the session token or the email.
    const everything = receiver.bodies.map((b) => b.text).join("\n");
    for (const secret of [token, session, "otel-reader@"]) {
      assert(!everything.includes(secret), `exported telemetry holds ${secret.slice(0, 12)}…`);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("OTEL_KIT_CAPTURE_CONTENT=true: a call's arguments and result on its span, never the session token", async () => {
  await using receiver = startReceiver();
  const dataDir = await Deno.makeTempDir({ prefix: "kit-otel-" });
  try {
    await using app = await spawnWithTelemetry(dataDir, receiver.endpoint, {
      OTEL_KIT_CAPTURE_CONTENT: "true",
    });
    const token = await mintFor(dataDir, "otel-content");
    const call = async (id: number, name: string, args: Record<string, unknown>) =>
      await (await fetch(`${app.origin}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name, arguments: args },
        }),
      })).json();
    const session = (await call(1, "begin_session", {})).result.structuredContent.session.token;
    await call(2, "domain_search", { session, query: "lighthouse keeper" });
    app.child.kill("SIGTERM");
    await app.child.status;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !receiver.bodies.some((b) => b.path === "/v1/traces")) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const [search] = spansIn(receiver.bodies).filter((s) => s.name === "tools/call domain_search");
    assert(search, "no span for the search");
    const args = String(valueOf(search.attributes, "gen_ai.tool.call.arguments"));
    assertEquals(JSON.parse(args), { session: "[left out]", query: "lighthouse keeper" });
    assert(String(valueOf(search.attributes, "gen_ai.tool.call.result")).includes("results"));
    const everything = receiver.bodies.map((b) => b.text).join("\n");
    assert(!everything.includes(session), "the session token was exported");
    assert(!everything.includes(token), "the access token was exported");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
