/**
 * The per-request MCP server factory handed to the SDK, and the bridge that carries the verified
 * identity (and nothing else of the credentials) from the HTTP gate to the tools.
 *
 * @module
 */
import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  legacyStatelessFallback,
  type McpRequestContext,
  McpServer,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import type { Identity, VerifiedAccess } from "./auth/identity.ts";
import type { CoreServices } from "./pack/core_services.ts";
import { registerTools, type ToolRegistry } from "./tools/registry.ts";
import { SERVER_VERSION } from "./version.ts";

/** What every request's server is built from. */
export interface McpEndpointOptions {
  maxBodyBytes: number;
  core: CoreServices;
  registry: ToolRegistry;
  /** The pack's store. */
  store: unknown;
}

/**
 * Wraps verified access as the SDK's `AuthInfo`. The raw token stops at the gate: `token` is left
 * empty on purpose so no tool can read, log or forward it (no token passthrough).
 */
export function toAuthInfo(access: VerifiedAccess, resource: string): AuthInfo {
  return {
    token: "",
    clientId: access.clientId ?? "",
    scopes: [...access.scopes],
    expiresAt: access.expiresAt,
    resource: new URL(resource),
    extra: { identity: access.identity },
  };
}

/** Reads the verified identity back out of the SDK's per-request context. */
function identityOf(ctx: McpRequestContext): Identity {
  const identity = ctx.authInfo?.extra?.identity as Identity | undefined;
  // Fail closed: the gate always sets it, so its absence is a wiring fault, not a guest.
  if (!identity?.sub) throw new Error("MCP request reached the server without a verified identity");
  return identity;
}

/**
 * Builds a fresh server for one request, with the tools bound to the verified caller (just the one
 * it calls, when `only` names it).
 */
export function createServer(
  identity: Identity,
  options: McpEndpointOptions,
  clientId?: string,
  only?: string,
): McpServer {
  const { brand } = options.core;
  const server = new McpServer(
    { name: brand.serverName, title: brand.productName, version: SERVER_VERSION },
    { capabilities: { tools: {} }, instructions: brand.instructions },
  );
  registerTools(server, options.registry, {
    core: options.core,
    store: options.store,
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
 * The handler serving `/mcp`, stateless in both eras. 2026-07-28 requests go to the SDK's modern
 * path (one JSON body per call). A 2025-era request that is one JSON-RPC message is answered here
 * the way the SDK's own stateless fallback answers it, except that the answer is one
 * `application/json` body instead of a one-event SSE stream: the 2025-11-25 transport lets a server
 * answer a POST either way (clients must accept both), our tools send nothing before their result,
 * and the JSON body costs less per call than setting up a stream. Anything else of that era (a
 * batch, a body that is not JSON) takes the SDK's fallback as it is: a batch may cancel its own
 * request, which then never gets an answer, and only a stream can end without one.
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  // The name only: parse errors quote the request body, which may hold a session token or state.
  const onerror = (error: Error) => console.error(`mcp: request rejected (${error.name})`);
  const factory = (ctx: McpRequestContext) =>
    createServer(
      identityOf(ctx),
      options,
      ctx.authInfo?.clientId || undefined,
      ctx.authInfo?.extra?.only as string | undefined,
    );
  const maxRequestBodySize = options.maxBodyBytes;
  const modern = createMcpHandler(factory, { legacy: "reject", maxRequestBodySize, onerror });
  const streamed = legacyStatelessFallback(factory, onerror, { maxRequestBodySize });
  return {
    async fetch(request, { authInfo: verified, parsedBody }) {
      // The SDK hands authInfo to the factory: it carries which tool, if one, the body calls.
      const authInfo = { ...verified, extra: { ...verified.extra, only: calledTool(parsedBody) } };
      if (!(await isLegacyRequest(request, parsedBody, { maxRequestBodySize }))) {
        return modern.fetch(request, { authInfo, parsedBody });
      }
      if (!isSingleMessage(parsedBody)) return streamed(request, { authInfo, parsedBody });
      return await answerAsJson(request, authInfo, parsedBody);
    },
  };

  async function answerAsJson(
    request: Request,
    authInfo: AuthInfo,
    parsedBody: Record<string, unknown>,
  ): Promise<Response> {
    const transport = new WebStandardStreamableHTTPServerTransport({
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
      return Response.json(
        { jsonrpc: "2.0", id, error: { code: -32603, message: "Internal server error" } },
        { status: 500 },
      );
    } finally {
      request.signal.removeEventListener("abort", onAbort);
      transport.close().catch(() => {});
      server?.close().catch(() => {});
    }
  }
}

/** Whether a parsed body is one JSON-RPC message (not a batch, not a bare value). */
function isSingleMessage(body: unknown): body is Record<string, unknown> {
  return body !== null && typeof body === "object" && !Array.isArray(body);
}
