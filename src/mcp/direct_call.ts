/**
 * The direct path for the one request that is nearly all of the traffic: a single stateless
 * `tools/call` of a known tool, in either era. It runs the tool the way the SDK's per-request
 * server would — the same input validation, the same handler (which holds a success to the output
 * schema, on both paths), the same projection — and writes the same bytes, without building a server and a transport for the call,
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
import type { CallToolResult } from "@modelcontextprotocol/server";
import { LEGACY_PROTOCOL_REVISIONS, MODERN_PROTOCOL_REVISION } from "../version.ts";
import { argumentProblem } from "../tools/argument_limits.ts";
import {
  type RegisteredTool,
  runTool,
  type ToolBinding,
  type ToolRegistry,
} from "../tools/registry.ts";

const VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
const CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";

/** The per-request envelope keys a 2026-07-28 request carries in `params._meta`. */
const ENVELOPE_KEYS = new Set([VERSION_KEY, CLIENT_INFO_KEY, CAPABILITIES_KEY]);

/** What a client's `clientInfo` may hold here: strings under these names. */
const CLIENT_INFO_KEYS = new Set(["name", "version", "title"]);

/** The capabilities a client may declare here (their values objects of objects and flags). */
const CAPABILITY_KEYS = new Set(["experimental", "roots", "sampling", "elicitation", "tasks"]);

/** A 2025-era revision the SDK's stateless transport accepts in `MCP-Protocol-Version`. */
const LEGACY_REVISIONS = new Set(LEGACY_PROTOCOL_REVISIONS);

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
  if (!JSON_TYPE.test(headers.get("content-type") ?? "")) return undefined;
  const versionHeader = headers.get("mcp-protocol-version") ?? undefined;
  const call = { id: id as string | number, tool, args };
  const meta = params._meta;
  if (meta !== undefined) {
    // A 2026-07-28 request: the headers it must carry, agreeing with its body, and an envelope
    // the SDK certainly accepts (anything less plain is the SDK's to judge).
    if (stripOws(versionHeader) !== MODERN_PROTOCOL_REVISION) return undefined;
    if (stripOws(headers.get("mcp-method")) !== "tools/call") return undefined;
    if (stripOws(headers.get("mcp-name")) !== params.name) return undefined;
    return isPlainEnvelope(meta) ? { era: "2026", ...call } : undefined;
  }
  // A 2025-era request, as the SDK's stateless transport asks of it before reading the message.
  if (versionHeader !== undefined && !LEGACY_REVISIONS.has(versionHeader)) return undefined;
  const accept = headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return undefined;
  }
  return { era: "2025", ...call };
}

/** `application/json`, bare or with a UTF-8 charset (anything else is the SDK's to judge). */
const JSON_TYPE = /^application\/json(\s*;\s*charset=(utf-8|"utf-8"))?$/i;

/** A header value less the spaces and tabs HTTP allows around it (and nothing else). */
function stripOws(value: string | null | undefined): string | undefined {
  return value?.replace(/^[ \t]+|[ \t]+$/g, "");
}

/**
 * Whether `meta` is a 2026-07-28 envelope the SDK accepts without a doubt: its three keys and no
 * other, the served revision, a `clientInfo` of strings, capabilities made of objects and flags.
 * (`direct_call_test.ts` holds every envelope this accepts to the SDK's own judgement.)
 */
export function isPlainEnvelope(meta: unknown): boolean {
  if (!isPlainObject(meta) || !onlyKeys(meta, ENVELOPE_KEYS)) return false;
  if (meta[VERSION_KEY] !== MODERN_PROTOCOL_REVISION) return false;
  const info = meta[CLIENT_INFO_KEY];
  if (!isPlainObject(info) || !onlyKeys(info, CLIENT_INFO_KEYS)) return false;
  if (typeof info.name !== "string" || typeof info.version !== "string") return false;
  if (info.title !== undefined && typeof info.title !== "string") return false;
  const capabilities = meta[CAPABILITIES_KEY];
  if (!isPlainObject(capabilities) || !onlyKeys(capabilities, CAPABILITY_KEYS)) return false;
  return Object.values(capabilities).every((value) => objectsAndFlags(value, 3));
}

/** An object whose values are objects of the same kind or booleans, `depth` levels at most. */
function objectsAndFlags(value: unknown, depth: number): boolean {
  if (!isPlainObject(value) || depth === 0) return false;
  return Object.values(value).every((v) => typeof v === "boolean" || objectsAndFlags(v, depth - 1));
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
  // A client gone before the call started gets nothing run (as on the SDK's path).
  if (signal.aborted) return new Response(null, { status: 499 });
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
  const gone = Promise.withResolvers<Response>();
  let left = false;
  const onAbort = () => {
    left = true;
    gone.resolve(new Response(null, { status: 499 }));
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([answer, gone.promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    // An answer that fails after its client left has no one to go to: it ends here.
    if (left) answer.catch((error) => console.error(`mcp: direct call failed (${error?.name})`));
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
  // `runTool` has checked a success against the tool's output schema (the SDK's own check, which
  // finds nothing after it, is skipped here): what does not fit came back as the call failing.
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}
