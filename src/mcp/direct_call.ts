/**
 * The direct path for the one request that is nearly all of the traffic: a single stateless
 * `tools/call` of a known tool, in either era. It runs the tool the way the SDK's per-request
 * server would — the same input validation, the same handler, the same output validation and
 * projection — and writes the same bytes, without building a server and a transport for the call,
 * without the SDK's per-request error objects and without a second serialisation.
 *
 * What it serves is deliberately narrow: a request whose envelope the SDK would accept without a
 * word, and nothing else. Anything else — a list, a batch, `server/discover`, a notification, an
 * unknown tool, an unusual header, an extra key anywhere in the envelope — is left to the SDK
 * (`directCallOf` returns `undefined`), so every error the protocol defines is still the SDK's
 * own. `tests/e2e/direct_call_test.ts` sends the same requests down both paths and compares the
 * answers byte for byte.
 *
 * @module
 */
import {
  type CallToolResult,
  classifyInboundRequest,
  isJsonContentType,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import { argumentProblem } from "../tools/argument_limits.ts";
import {
  type RegisteredTool,
  runTool,
  type ToolBinding,
  type ToolRegistry,
} from "../tools/registry.ts";

/** The revision the direct path serves in the per-request (2026) era. */
const MODERN_REVISION = "2026-07-28";

/** The per-request envelope keys a 2026-07-28 request carries in `params._meta`. */
const ENVELOPE_KEYS = new Set([
  "io.modelcontextprotocol/protocolVersion",
  "io.modelcontextprotocol/clientInfo",
  "io.modelcontextprotocol/clientCapabilities",
]);

/** A 2025-era revision the SDK's stateless transport accepts in `MCP-Protocol-Version`. */
const LEGACY_REVISIONS = new Set<string>(
  SUPPORTED_PROTOCOL_VERSIONS.filter((v: string) => v !== MODERN_REVISION),
);

const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);
const PARAMS_KEYS = new Set(["name", "arguments", "_meta"]);

/** A request the direct path serves: which era, which tool, with what. */
export interface DirectCall {
  era: "2025" | "2026";
  id: string | number;
  tool: RegisteredTool;
  /** The arguments as they arrived (absent when the request had none). */
  args: Record<string, unknown> | undefined;
}

/** Who the server says it is in a 2026-07-28 result's `_meta`. */
export interface ServerInfo {
  name: string;
  title: string;
  version: string;
}

/**
 * The call `body` makes, when it is one the direct path serves; `undefined` hands the request to
 * the SDK. `tools` maps each registered tool's name to it.
 */
export function directCallOf(
  request: Request,
  body: unknown,
  tools: ReadonlyMap<string, RegisteredTool>,
): DirectCall | undefined {
  if (!isPlainObject(body) || !onlyKeys(body, REQUEST_KEYS)) return undefined;
  const { jsonrpc, id, method, params } = body;
  if (jsonrpc !== "2.0" || method !== "tools/call" || !isPlainObject(params)) return undefined;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return undefined;
  if (!onlyKeys(params, PARAMS_KEYS) || typeof params.name !== "string") return undefined;
  const tool = tools.get(params.name);
  const args = params.arguments;
  if (tool === undefined || (args !== undefined && !isPlainObject(args))) return undefined;
  const { headers } = request;
  if (!isJsonContentType(headers.get("content-type"))) return undefined;
  const versionHeader = headers.get("mcp-protocol-version") ?? undefined;
  const methodHeader = headers.get("mcp-method") ?? undefined;
  const nameHeader = headers.get("mcp-name") ?? undefined;
  const route = classifyInboundRequest({
    httpMethod: request.method,
    protocolVersionHeader: versionHeader,
    mcpMethodHeader: methodHeader,
    mcpNameHeader: nameHeader,
    body,
  });
  const call = { id: id as string | number, tool, args };
  if (route.kind === "modern") {
    // The headers a 2026-07-28 request must carry, agreeing with its body; the envelope holds its
    // three keys and nothing else. Anything unusual (an encoded name, a cache hint) is the SDK's.
    if (route.classification.revision !== MODERN_REVISION) return undefined;
    if (versionHeader?.trim() !== MODERN_REVISION || methodHeader?.trim() !== "tools/call") {
      return undefined;
    }
    if (nameHeader?.trim() !== params.name) return undefined;
    const meta = params._meta;
    if (!isPlainObject(meta) || !onlyKeys(meta, ENVELOPE_KEYS)) return undefined;
    return { era: "2026", ...call };
  }
  if (route.kind !== "legacy" || route.reason !== "no-claim" || params._meta !== undefined) {
    return undefined;
  }
  // What the SDK's stateless transport asks of a 2025-era POST before it reads the message.
  const accept = headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return undefined;
  }
  if (versionHeader !== undefined && !LEGACY_REVISIONS.has(versionHeader)) return undefined;
  return { era: "2025", ...call };
}

/**
 * Runs `call` for the verified caller and answers it as the SDK would: the tool's result, checked
 * against its output schema and projected for the era, in one JSON body. A client that goes away
 * gets 499 and the call runs to its end (as on the SDK's path), releasing what it holds.
 */
export async function answerDirectCall(
  call: DirectCall,
  registry: ToolRegistry,
  binding: ToolBinding,
  serverInfo: ServerInfo,
  signal: AbortSignal,
): Promise<Response> {
  const answer = resultOf(call, registry, binding).then((result) => {
    const projected = call.era === "2026"
      ? {
        ...result,
        resultType: "complete",
        _meta: { "io.modelcontextprotocol/serverInfo": serverInfo },
      }
      : result;
    return new Response(JSON.stringify({ result: projected, jsonrpc: "2.0", id: call.id }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  });
  if (signal.aborted) return new Response(null, { status: 499 });
  const gone = Promise.withResolvers<Response>();
  const onAbort = () => gone.resolve(new Response(null, { status: 499 }));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([answer, gone.promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** The tool's result as the SDK's `tools/call` handler makes it (before the era's projection). */
async function resultOf(
  { tool, args }: DirectCall,
  registry: ToolRegistry,
  binding: ToolBinding,
): Promise<CallToolResult> {
  let result: CallToolResult;
  try {
    const input = await tool.inputSchema["~standard"].validate(args ?? {});
    // The registry's input validation never reports issues: it hands them to the tool as a
    // problem to refuse with (see registry.ts), so `value` is always there.
    result = await runTool(
      tool,
      registry,
      binding,
      (input as { value: unknown }).value,
      argumentProblem(args),
    );
  } catch (error) {
    return toolError(error instanceof Error ? error.message : String(error));
  }
  if (result.isError) return inWireOrder(result);
  if (result.structuredContent === undefined) {
    return toolError(
      `Output validation error: Tool ${tool.name} has an output schema but no structured content was provided`,
    );
  }
  const checked = await tool.outputSchema["~standard"].validate(result.structuredContent);
  if (checked.issues && checked.issues.length > 0) {
    return toolError(
      `Output validation error: Invalid structured content for tool ${tool.name}: ${
        checked.issues.map(formatIssue).join(", ")
      }`,
    );
  }
  return inWireOrder(result);
}

/**
 * The result with its keys in the order the SDK's result schema writes them (`_meta`, `content`,
 * `structuredContent`, `isError`, then any other), text blocks as `type`, `text`, then the rest:
 * the bytes of the answer depend on it.
 */
function inWireOrder(result: CallToolResult): CallToolResult {
  const { _meta, content = [], structuredContent, isError, ...rest } = result;
  return {
    ...(_meta !== undefined && { _meta }),
    content: content.map((block) => {
      if (block.type !== "text") return block;
      const { type, text, ...others } = block;
      return { type, text, ...others };
    }),
    ...(structuredContent !== undefined && { structuredContent }),
    ...(isError !== undefined && { isError }),
    ...rest,
  };
}

/** The SDK's tool error: the message as the one text. */
function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** An issue as the SDK words it in an output validation error. */
function formatIssue(
  issue: { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] },
): string {
  if (!issue.path?.length) return issue.message;
  return `${
    issue.path.map((p) => String(typeof p === "object" ? p.key : p)).join(".")
  }: ${issue.message}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}
