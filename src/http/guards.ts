/**
 * Request guards in front of `/mcp` that do not depend on who is calling: Host and Origin checks
 * (DNS rebinding and cross-site requests) and the body size limit.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import { boundedBody } from "./body_reader.ts";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** Whether a hostname or bind address is loopback-only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith("127.");
}

/**
 * Refuses requests whose `Host` is not ours. Only useful while bound to loopback: a web page on a
 * rebinding domain that resolves to 127.0.0.1 would otherwise reach the local server.
 */
export function requireOwnHost(allowedHostnames: string[]) {
  const allowed = new Set(["localhost", "127.0.0.1", "[::1]", ...allowedHostnames]);
  // The Host values seen and allowed, so the common case parses nothing (bounded: a value is
  // remembered only once it passed, and there are few ways to name an allowed host).
  const passed = new Set<string>();
  return createMiddleware(async (c, next) => {
    const host = c.req.header("host");
    if (!host) return forbidden("Missing Host header");
    if (!passed.has(host)) {
      const hostname = hostnameOf(`http://${host}`);
      if (hostname === undefined) return forbidden(`Invalid Host header: ${host}`);
      if (!allowed.has(hostname)) return forbidden(`Invalid Host: ${hostname}`);
      if (passed.size < 64) passed.add(host);
    }
    await next();
  });
}

/**
 * Refuses browser requests from origins we do not know (403). Requests without `Origin` pass:
 * MCP hosts call server-to-server and send none.
 */
export function requireKnownOrigin(allowedHostnames: string[]) {
  const allowed = new Set(allowedHostnames);
  return createMiddleware(async (c, next) => {
    const origin = c.req.header("origin");
    if (origin) {
      const hostname = hostnameOf(origin);
      if (!hostname) return forbidden(`Invalid Origin header: ${origin}`);
      if (!allowed.has(hostname)) return forbidden(`Invalid Origin: ${hostname}`);
    }
    await next();
  });
}

/** The hostname of `url` as the URL parser reads it (IPv6 in brackets), or `undefined`. */
export function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** 403 in JSON-RPC's error shape, as the MCP SDK's own guards answer. */
function forbidden(message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }, {
    status: 403,
  });
}

/**
 * Reads the body within `maxBytes` and the time bounds (see `body_reader.ts`); answers 413 with a
 * plain explanation when it is larger.
 */
export function limitBody(maxBytes: number, idleMs: number) {
  return boundedBody(
    { maxBytes, idleMs, totalMs: 4 * idleMs },
    (c) =>
      c.json({
        jsonrpc: "2.0",
        id: null,
        error: {
          code: -32600,
          message: `Request body too large: the limit is ${maxBytes} bytes.`,
        },
      }, 413),
    // `/mcp` parses the bytes itself (see `bodyRead`).
    { keepAside: true },
  );
}
