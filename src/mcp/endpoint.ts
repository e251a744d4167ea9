/**
 * The per-request MCP server factory handed to the SDK, and the bridge that carries the verified
 * identity (and nothing else of the credentials) from the HTTP gate to the tools.
 *
 * @module
 */
import type { AuthInfo, McpRequestContext, McpServer } from "@modelcontextprotocol/server";
import type { Identity, VerifiedAccess } from "../auth/identity.ts";
import type { CoreServices } from "../tools/kit_tool.ts";
import type { OpenPack } from "../pack/kit_side.ts";
import { registerTools, type ToolRegistry } from "../tools/registry.ts";
import { withRawArgumentCheck } from "../tools/raw_arguments.ts";
import { SERVER_VERSION } from "../version.ts";
import { answerDirectCall, directCallOf, type ServerInfo } from "./direct_call.ts";
import { inMcpSpan, messageFacts } from "../observability/telemetry.ts";

/** The MCP SDK's server module. */
type Sdk = typeof import("@modelcontextprotocol/server");

let sdkModule: Promise<Sdk> | undefined;

/**
 * The SDK, loaded when a request first needs it: evaluating it takes ≈ 120 ms, which a cold start
 * answering a single tool call (the direct path) does not spend.
 */
function loadSdk(): Promise<Sdk> {
  return sdkModule ??= import("@modelcontextprotocol/server");
}

/** What every request's server is built from. */
export interface McpEndpointOptions {
  maxBodyBytes: number;
  core: CoreServices;
  registry: ToolRegistry;
  /** The served pack, its store open. */
  pack: OpenPack;
  /**
   * Serve a single `tools/call` of a known tool directly (`direct_call.ts`) rather than through a
   * per-request SDK server; on unless `MCP_DIRECT_CALLS=0`. The answers are the same bytes.
   */
  directCalls?: boolean;
  /** A span per MCP message (`observability/telemetry.ts`); on with `OTEL_DENO=true`. */
  telemetry?: boolean;
}

/**
 * Wraps verified access as the SDK's `AuthInfo`. The raw token stops at the gate: `token` is left
 * empty on purpose so no tool can read, log or forward it (no token passthrough).
 */
export function toAuthInfo(access: VerifiedAccess, resource: URL): AuthInfo {
  return {
    token: "",
    clientId: access.clientId ?? "",
    scopes: [...access.scopes],
    expiresAt: access.expiresAt,
    resource,
    extra: { identity: access.identity },
  };
}

/** Reads the verified identity back out of the request's `AuthInfo`. */
function identityOf(authInfo: AuthInfo | undefined): Identity {
  const identity = authInfo?.extra?.identity as Identity | undefined;
  // Fail closed: the gate always sets it, so its absence is a wiring fault, not a guest.
  if (!identity?.sub) throw new Error("MCP request reached the server without a verified identity");
  return identity;
}

/**
 * Builds a fresh server for one request, with the tools bound to the verified caller (just the one
 * it calls, when `only` names it).
 */
function createServer(
  sdk: Sdk,
  identity: Identity,
  options: McpEndpointOptions,
  clientId?: string,
  only?: string,
): McpServer {
  const { brand } = options.core;
  const server = new sdk.McpServer(
    { name: brand.serverName, title: brand.productName, version: SERVER_VERSION },
    { capabilities: { tools: {} }, instructions: brand.instructions },
  );
  registerTools(server, options.registry, {
    core: options.core,
    pack: options.pack,
    identity,
    clientId,
    only,
  });
  return server;
}

/** The tool a request body calls, when it is a single `tools/call` naming one. */
function calledTool(body: unknown): string | undefined {
  if (!isSingleMessage(body)) return undefined;
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  return method === "tools/call" && typeof params?.name === "string" ? params.name : undefined;
}

/** What `/mcp` hands each POST to, with the verified caller and the body it already parsed. */
export interface McpEndpoint {
  fetch(request: Request, options: { authInfo: AuthInfo; parsedBody?: unknown }): Promise<Response>;
}

/**
 * Most messages one 2025-era batch may hold. Each runs in turn, so a batch keeps at most one call
 * in flight; the cap bounds how long it can hold its answer open.
 */
export const MAX_BATCH_MESSAGES = 20;

/**
 * Bytes of answers one batch collects. Calls after the answers reach it are not run and say so:
 * without it, a small batch of large reads (exports) builds an answer far larger than its request.
 */
export const MAX_BATCH_ANSWER_BYTES = 4 * 1024 * 1024;

const utf8 = new TextEncoder();

/**
 * The handler serving `/mcp`, stateless in both eras. 2026-07-28 requests go to the SDK's modern
 * path (one JSON body per call). A 2025-era request that is one JSON-RPC message is answered here
 * the way the SDK's own stateless fallback answers it, except that the answer is one
 * `application/json` body instead of a one-event SSE stream: the 2025-11-25 transport lets a server
 * answer a POST either way (clients must accept both), our tools send nothing before their result,
 * and the JSON body costs less per call than setting up a stream. A 2025-era batch is answered here
 * too, one message at a time (see {@linkcode MAX_BATCH_MESSAGES}), as one JSON array that ends once
 * every request in it is answered or cancelled by a `notifications/cancelled` in the same batch. A
 * body of that era that is not a JSON-RPC message at all takes the SDK's fallback for its error.
 *
 * Tool arguments are judged per message as they arrived (see `raw_arguments.ts`): one bad call in
 * a batch is refused alone.
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  // The name only: parse errors quote the request body, which may hold a session token or state.
  const onerror = (error: Error) => console.error(`mcp: request rejected (${error.name})`);
  const maxRequestBodySize = options.maxBodyBytes;
  /** The SDK's handlers, made once it is loaded. */
  const handlers = onceMade(async () => {
    const sdk = await loadSdk();
    const factory = (ctx: McpRequestContext) =>
      createServer(
        sdk,
        identityOf(ctx.authInfo),
        options,
        ctx.authInfo?.clientId || undefined,
        ctx.authInfo?.extra?.only as string | undefined,
      );
    return {
      sdk,
      factory,
      modern: sdk.createMcpHandler(factory, { legacy: "reject", maxRequestBodySize, onerror }),
      streamed: sdk.legacyStatelessFallback(factory, onerror, { maxRequestBodySize }),
    };
  });
  /** The SDK hands authInfo to the factory: it carries which tool, if one, the message calls. */
  const forMessage = (verified: AuthInfo, message: unknown): AuthInfo => ({
    ...verified,
    extra: { ...verified.extra, only: calledTool(message) },
  });
  const tools = new Map(options.registry.tools.map((tool) => [tool.name, tool]));
  const { brand } = options.core;
  const serverInfo: ServerInfo = {
    name: brand.serverName,
    title: brand.productName,
    version: SERVER_VERSION,
  };
  const direct = options.directCalls ?? true;
  const telemetry = options.telemetry ?? false;
  return {
    async fetch(request, context) {
      // One span per message (a batch's, each its own, below); none at all with telemetry off.
      const facts = telemetry && !Array.isArray(context.parsedBody)
        ? messageFacts(context.parsedBody, request.headers.get("mcp-protocol-version"))
        : undefined;
      return facts
        ? await inMcpSpan(facts, () => answer(request, context))
        : await answer(request, context);
    },
  };

  async function answer(
    request: Request,
    { authInfo: verified, parsedBody }: { authInfo: AuthInfo; parsedBody?: unknown },
  ): Promise<Response> {
    const call = direct ? directCallOf(request, parsedBody, tools) : undefined;
    if (call !== undefined) {
      return await answerDirectCall(
        call,
        options.registry,
        {
          core: options.core,
          pack: options.pack,
          identity: identityOf(verified),
          clientId: verified.clientId || undefined,
        },
        serverInfo,
        request.signal,
      );
    }
    const { sdk, modern, streamed } = await handlers();
    if (!(await sdk.isLegacyRequest(request, parsedBody, { maxRequestBodySize }))) {
      const authInfo = forMessage(verified, parsedBody);
      return await withRawArgumentCheck(
        parsedBody,
        () => modern.fetch(request, { authInfo, parsedBody }),
      );
    }
    if (Array.isArray(parsedBody)) return await answerBatch(request, verified, parsedBody);
    if (!isSingleMessage(parsedBody)) {
      return streamed(request, { authInfo: forMessage(verified, parsedBody), parsedBody });
    }
    return await answerOne(request, verified, parsedBody);
  }

  function answerOne(
    request: Request,
    verified: AuthInfo,
    message: Record<string, unknown>,
  ): Promise<Response> {
    return withRawArgumentCheck(
      message,
      () => answerAsJson(request, forMessage(verified, message), message),
    );
  }

  /**
   * Answers a 2025-era batch: each request in turn, a request cancelled inside the batch not at
   * all (its answer would never be read), notifications for their effect only.
   */
  async function answerBatch(
    request: Request,
    verified: AuthInfo,
    messages: unknown[],
  ): Promise<Response> {
    if (messages.length === 0 || messages.length > MAX_BATCH_MESSAGES) {
      return Response.json(
        rpcError(
          null,
          -32600,
          messages.length === 0
            ? "Invalid Request: the batch is empty."
            : `Invalid Request: a batch may hold at most ${MAX_BATCH_MESSAGES} messages; send the rest in another request.`,
        ),
        { status: 400 },
      );
    }
    const cancelled = new Set(
      messages.filter(isCancellation).map((m) =>
        (m as { params: { requestId: unknown } }).params.requestId
      ),
    );
    const answers: string[] = [];
    let bytes = 0;
    for (const message of messages) {
      if (request.signal.aborted) break;
      if (!isSingleMessage(message)) {
        answers.push(JSON.stringify(
          rpcError(null, -32600, "Invalid Request: each batch entry must be a JSON-RPC message."),
        ));
        continue;
      }
      const isRequest = typeof message.method === "string" && "id" in message;
      if (isRequest && cancelled.has(message.id)) continue;
      if (isCancellation(message) || typeof message.method !== "string") continue;
      if (isRequest && bytes >= MAX_BATCH_ANSWER_BYTES) {
        answers.push(JSON.stringify(rpcError(
          message.id,
          -32000,
          `Not run: this batch's answers reached ${MAX_BATCH_ANSWER_BYTES} bytes, so this ` +
            "request was not run and changed nothing. Send it again in a request of its own.",
        )));
        continue;
      }
      const facts = telemetry
        ? messageFacts(message, request.headers.get("mcp-protocol-version"))
        : undefined;
      const response = facts
        ? await inMcpSpan(facts, () => answerOne(request, verified, message))
        : await answerOne(request, verified, message);
      const text = response.status === 202 ? "" : await response.text();
      if (isRequest && text !== "") {
        answers.push(text);
        bytes += utf8.encode(text).byteLength;
      }
    }
    if (answers.length === 0) return new Response(null, { status: 202 });
    return new Response(`[${answers.join(",")}]`, {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }

  async function answerAsJson(
    request: Request,
    authInfo: AuthInfo,
    parsedBody: Record<string, unknown>,
  ): Promise<Response> {
    const { sdk, factory } = await handlers();
    const transport = new sdk.WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize,
    });
    let server: McpServer | undefined;
    // A client that goes away stops the wait for an answer it would never read.
    const gone = Promise.withResolvers<Response>();
    const onAbort = () => gone.resolve(new Response(null, { status: 499 }));
    request.signal.addEventListener("abort", onAbort, { once: true });
    try {
      server = factory({ era: "legacy", authInfo, requestInfo: request });
      await server.connect(transport);
      return await Promise.race([
        transport.handleRequest(request, { authInfo, parsedBody }),
        gone.promise,
      ]);
    } catch (error) {
      onerror(error instanceof Error ? error : new Error(String(error)));
      const id = typeof parsedBody.id === "string" || typeof parsedBody.id === "number"
        ? parsedBody.id
        : null;
      return Response.json(rpcError(id, -32603, "Internal server error"), { status: 500 });
    } finally {
      request.signal.removeEventListener("abort", onAbort);
      transport.close().catch(() => {});
      server?.close().catch(() => {});
    }
  }
}

/** `make`, run once on first call (and again after a failure). */
function onceMade<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    made ??= make().catch((error) => {
      made = undefined;
      throw error;
    });
}

/** Whether `message` is a `notifications/cancelled` naming a request id. */
function isCancellation(message: unknown): boolean {
  if (!isSingleMessage(message) || message.method !== "notifications/cancelled") return false;
  const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof id === "string" || typeof id === "number";
}

/** A JSON-RPC error answer to `id`. */
function rpcError(id: unknown, code: number, message: string) {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

/** Whether a parsed body is one JSON-RPC message (not a batch, not a bare value). */
function isSingleMessage(body: unknown): body is Record<string, unknown> {
  return body !== null && typeof body === "object" && !Array.isArray(body);
}
