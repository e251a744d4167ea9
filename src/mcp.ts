/**
 * The per-request MCP server factory handed to the SDK, and the bridge that carries the verified
 * identity (and nothing else of the credentials) from the HTTP gate to the tools.
 *
 * @module
 */
import {
  type AuthInfo,
  createMcpHandler,
  type McpHttpHandler,
  type McpRequestContext,
  McpServer,
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

/** Builds a fresh server for one request, with the tools bound to the verified caller. */
export function createServer(
  identity: Identity,
  options: McpEndpointOptions,
  clientId?: string,
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
  });
  return server;
}

/** The SDK handler serving `/mcp`: stateless, 2026-07-28 plus the 2025-era fallback. */
export function createMcpEndpoint(options: McpEndpointOptions): McpHttpHandler {
  return createMcpHandler(
    (ctx) => createServer(identityOf(ctx), options, ctx.authInfo?.clientId || undefined),
    {
      legacy: "stateless",
      maxRequestBodySize: options.maxBodyBytes,
      // The name only: parse errors quote the request body, which may hold a session token or state.
      onerror: (error) => console.error(`mcp: request rejected (${error.name})`),
    },
  );
}
