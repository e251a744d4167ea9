/**
 * MCP requests as the benchmarks send them: a `tools/call` in either protocol era, and one request
 * sent and its JSON-RPC answer read back (from a JSON body or a one-event SSE body).
 *
 * @module
 */

/** The protocol eras measured: 2025-11-25 (stateless fallback) and 2026-07-28. */
export type Era = "2025" | "2026";

/** Both eras, in the order the benchmarks run them. */
export const ERAS: readonly Era[] = ["2025", "2026"];

/** A request ready to send: its headers and JSON body. */
export interface McpRequest {
  headers: Record<string, string>;
  body: string;
}

const CLIENT_INFO = { name: "bench", version: "1.0.0" };

/** A tools/call request in one era: the body and the headers that go with it. */
export function toolCall(era: Era, name: string, args: Record<string, unknown>): McpRequest {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const params: Record<string, unknown> = { name, arguments: args };
  if (era === "2025") {
    headers["mcp-protocol-version"] = "2025-11-25";
  } else {
    headers["mcp-protocol-version"] = "2026-07-28";
    headers["mcp-method"] = "tools/call";
    headers["mcp-name"] = name;
    params._meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
      "io.modelcontextprotocol/clientCapabilities": {},
    };
  }
  return { headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params }) };
}

/**
 * Sends one request and returns the JSON-RPC message (from JSON or a one-event SSE body).
 *
 * @throws {Error} on a non-2xx status (its message starts with the status, e.g. `503: …`).
 */
export async function once(url: string, request: McpRequest): Promise<JsonRpcAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${text}`);
  const json = text.startsWith("{")
    ? text
    : text.split("\n").find((l) => l.startsWith("data: "))?.slice(6);
  if (json === undefined) throw new Error(`no JSON-RPC message in: ${text.slice(0, 200)}`);
  return JSON.parse(json);
}

/** A JSON-RPC answer to a tools/call, loosely typed: the benchmarks only look at a few fields. */
export interface JsonRpcAnswer {
  result?: {
    isError?: boolean;
    // deno-lint-ignore no-explicit-any
    structuredContent?: any;
    content?: { type: string; text?: string }[];
  };
  error?: { code: number; message: string };
}
