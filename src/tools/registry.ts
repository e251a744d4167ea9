/**
 * The tool registry, built once at start-up from the kit's tools and the selected pack's: the MCP
 * server registers from it for each request and the landing page describes it, so the two never
 * drift. Building it is where a pack's tools are held to the contract.
 *
 * @module
 */
import type {
  CallToolResult,
  McpServer,
  StandardSchemaWithJSON,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import {
  type Identity,
  type Pack,
  REFUSED_PREFIX,
  type ToolText,
  type ToolTexts,
} from "../pack/mod.ts";
import {
  CALL_FAILED_PREFIX,
  createReply,
  type FailureKind,
  type KitReply,
  type OpenPack,
  OUTCOME_UNKNOWN_PREFIX,
} from "../pack/kit_side.ts";
import { withBudget } from "../deadline.ts";
import { noteToolCall } from "../observability/request_context.ts";
import { markToolContent, markToolOutcome } from "../observability/telemetry.ts";
import { countPersonRefusal } from "../tracing.ts";
import { type OpenRequests, openRequestsPerPerson } from "../http/open_per_person.ts";
import { type GateContext, gated, guarded, OutputMismatch } from "./gate.ts";
import { configTools } from "./kit/config.ts";
import { healthTool } from "./kit/health.ts";
import { sessionTools } from "./kit/session.ts";
import { userTools } from "./kit/user/mod.ts";
import type {
  CoreServices,
  KitContext,
  KitToolDeclaration,
  KitToolDefinition,
} from "./kit_tool.ts";
import { PackContractError, packToolOf, sessionSchemaOf } from "./pack_tool.ts";
import { precompiled } from "./precompiled_schema.ts";
import { rawArgumentProblem } from "./raw_arguments.ts";

/** A tool ready to serve: its texts resolved and its schemas prepared. */
export interface RegisteredTool {
  /** The kit's tool, or a pack's tool as the kit runs it (through the open pack). */
  definition: KitToolDefinition;
  name: string;
  title: string;
  description: string;
  /** Whether the pack supplied it (a `domain_*` tool). */
  fromPack: boolean;
  /** The tool's `_meta` in the list. */
  meta: Record<string, unknown>;
  inputSchema: StandardSchemaWithJSON;
  outputSchema: StandardSchemaWithJSON;
}

export { PackContractError } from "./pack_tool.ts";

/** The server's tools and the voice their results speak in. */
export interface ToolRegistry {
  tools: readonly RegisteredTool[];
  reply: KitReply;
  /** People with an expensive tool running now (in this process), by verified subject. */
  expensiveRunning: Set<string>;
  /** Tool calls running now per person (in this process), by verified subject. */
  callsRunning: OpenRequests;
  /** The served pack's id. */
  packId: string;
  /** Whether failures carry their details to the caller. */
  development: boolean;
  /** Whether a pack's reads run in read-only transactions. */
  readOnlyReads: boolean;
  /**
   * The store budget of one tool call, ms (`STORE_TIMEOUT_MS`): all its KV and database calls
   * share it, from the call's start. Absent: each store call has only its own deadline.
   */
  callBudgetMs?: number;
}

/**
 * Builds the registry: `begin_session`/`end_session`, the pack's `domain_*` tools, `user_*`,
 * `config_*`, `health`, in the order hosts list them.
 *
 * @throws {PackContractError} when a pack's tool breaks the contract (see `pack_tool.ts`) or two
 *   tools share a name.
 */
export function buildToolRegistry(
  pack: Pack,
  texts: ToolTexts,
  {
    callsPerPerson = 8,
    development = false,
    readOnlyReads = development,
    scopes = ["mcp"],
    callBudgetMs,
  }: {
    callsPerPerson?: number;
    /** The store budget of one tool call, ms (see {@linkcode ToolRegistry.callBudgetMs}). */
    callBudgetMs?: number;
    /** Run a pack's reads in read-only transactions (development; see `Config.readOnlyReads`). */
    readOnlyReads?: boolean;
    /** The scopes a token needs at `/mcp`, stated per tool for hosts that read `securitySchemes`. */
    scopes?: readonly string[];
    /** Development: pack reads run read-only, and failures carry their details to the caller. */
    development?: boolean;
  } = {},
): ToolRegistry {
  const packTools = pack.tools.map((tool) => packToolOf(pack.id, tool));
  const kit = (t: KitToolDefinition): [KitToolDefinition, boolean] => [t, false];
  const all: [KitToolDefinition, boolean][] = [
    ...sessionTools(pack.brand, sessionSchemaOf(pack)).map(kit),
    ...packTools.map((t): [KitToolDefinition, boolean] => [t, true]),
    ...[...userTools(pack.brand), ...configTools(pack.brand), healthTool(pack.brand)].map(kit),
  ];
  const seen = new Set<string>();
  const tools = all.map(([definition, fromPack]) => {
    if (seen.has(definition.name)) {
      throw new PackContractError(pack.id, `tool name "${definition.name}" is used twice`);
    }
    seen.add(definition.name);
    // A pack's hints are derived from its access; the kit's own are written out, and must agree.
    if (!fromPack) {
      const hints = hintProblem(definition);
      if (hints) throw new Error(`kit tool "${definition.name}" ${hints}`);
    }
    return {
      definition,
      name: definition.name,
      title: resolve(definition.title, texts),
      description: resolve(definition.description, texts),
      fromPack,
      // ChatGPT reads how each tool is authorised from here (every tool needs the OAuth token).
      meta: { securitySchemes: [{ type: "oauth2", scopes: [...scopes] }] },
      inputSchema: prepareInput(definition),
      outputSchema: precompiled(definition.outputSchema),
    };
  });
  return {
    tools,
    reply: createReply(pack.brand),
    expensiveRunning: new Set(),
    callsRunning: openRequestsPerPerson(callsPerPerson),
    packId: pack.id,
    development,
    readOnlyReads,
    callBudgetMs,
  };
}

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

/**
 * What is wrong with a kit tool's behaviour hints, or `null`: all four stated, and true to
 * `access` (a pack's are derived from its `access`, so they cannot disagree).
 */
export function hintProblem(
  tool: Pick<KitToolDeclaration, "annotations" | "access">,
): string | null {
  // Checked at run time too: the kit's own are written out by hand.
  const annotations: Partial<Record<string, unknown>> = { ...tool.annotations };
  const missing = HINTS.filter((hint) => typeof annotations[hint] !== "boolean");
  if (missing.length > 0) {
    return `must state ${
      missing.join(", ")
    } (true or false) in annotations: start from READ_ONLY, WRITES or DESTRUCTIVE`;
  }
  if (annotations.readOnlyHint !== (tool.access === "read")) {
    return `is declared access "${tool.access}" but says readOnlyHint: ${annotations.readOnlyHint}; hosts would be told the opposite of what it does`;
  }
  if (tool.access === "read" && annotations.destructiveHint) {
    return 'is declared access "read" but says destructiveHint: true; a read destroys nothing';
  }
  return null;
}

function resolve(text: ToolText, texts: ToolTexts): string {
  return typeof text === "string" ? text : text(texts);
}

/**
 * Hosts see `session` as required; validation lets a missing one through so that the gate answers
 * it with the fail-closed guidance ("call begin_session first") rather than a schema error. Other
 * schema failures reach the tool's handler too, as a problem it answers with a refusal in the
 * product's voice ("Request refused, nothing was changed: …") instead of the SDK's own text.
 */
function prepareInput(tool: KitToolDeclaration): StandardSchemaWithJSON {
  // `safeExtend` keeps the object's own checks (`.refine`), which `extend` refuses to.
  const schema = "session" in tool.inputSchema.shape
    ? precompiled(tool.inputSchema.safeExtend({ session: ANY_SESSION }), tool.inputSchema)
    : precompiled(tool.inputSchema);
  return reportingProblems(schema);
}

/** What validation lets through as `session`: missing or empty is the gate's to answer. */
const ANY_SESSION = z.string().max(4096).optional();

/** Where a schema problem travels from validation to the handler (never a JSON key). */
const SCHEMA_PROBLEM = Symbol("schema problem");

function reportingProblems(schema: StandardSchemaWithJSON): StandardSchemaWithJSON {
  const standard = schema["~standard"];
  return {
    "~standard": {
      ...standard,
      validate: async (value, options) => {
        const result = await standard.validate(value, options);
        if (!result.issues) return result;
        return {
          value: {
            [SCHEMA_PROBLEM]: `the arguments do not fit this tool (${
              listIssues(result.issues)
            }). Check the tool's input schema and call it again.`,
          },
        };
      },
    },
  };
}

/** "query: Invalid input: expected string; Unrecognized key: "x"", bounded in length. */
function listIssues(issues: readonly SchemaIssue[]): string {
  const text = issues.slice(0, 5).map(describeIssue).join("; ");
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

/** A validation issue as Standard Schema reports it. */
export type SchemaIssue = {
  message: string;
  path?: readonly (PropertyKey | { key: PropertyKey })[];
};

/** `query: Invalid input: expected string` (the message alone when the issue has no path). */
export function describeIssue(issue: SchemaIssue): string {
  if (!issue.path?.length) return issue.message;
  const path = issue.path.map((p) => String(typeof p === "object" ? p.key : p)).join(".");
  return `${path}: ${issue.message}`;
}

/** What one request's tools are bound to. */
export interface ToolBinding {
  core: CoreServices;
  /** The served pack with its store. */
  pack: OpenPack;
  identity: Identity;
  clientId?: string;
  /**
   * The one tool this request calls, when it is a single `tools/call` of a known tool: the server
   * then carries just that tool (registering all of them per request was ≈ 6 % of a cheap call's
   * CPU). Anything else — a list, a batch, an unknown name — gets the whole surface.
   */
  only?: string;
}

/** Registers the tool surface (or the one tool called) on a fresh server for the verified caller. */
export function registerTools(
  server: McpServer,
  registry: ToolRegistry,
  binding: ToolBinding,
): void {
  const { only } = binding;
  const called = only === undefined ? undefined : registry.tools.find((t) => t.name === only);
  for (const tool of called ? [called] : registry.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: tool.definition.annotations,
        _meta: tool.meta,
      },
      (input: unknown) => runTool(tool, registry, binding, input, rawArgumentProblem()),
    );
  }
}

/**
 * Runs one tool for the verified caller: `input` is what its input schema's validation gave
 * (see {@linkcode prepareInput}), `rawProblem` the verdict on the arguments as they arrived
 * (`raw_arguments.ts`). Never throws: every failure becomes its answer here or in the gate. A
 * success it returns fits the tool's output schema: one that does not is answered as the call
 * failing, naming what does not fit in development.
 *
 * Its store calls — the session check, the tool's own, however many — share one budget of
 * {@linkcode ToolRegistry.callBudgetMs} from here: the host hears back within about one store
 * deadline, not one per call made in a row.
 */
export function runTool(
  tool: RegisteredTool,
  registry: ToolRegistry,
  binding: ToolBinding,
  input: unknown,
  rawProblem: string | null,
): Promise<CallToolResult> {
  const { callBudgetMs } = registry;
  return callBudgetMs === undefined
    ? callTool(tool, registry, binding, input, rawProblem)
    : withBudget(callBudgetMs, () => callTool(tool, registry, binding, input, rawProblem));
}

async function callTool(
  tool: RegisteredTool,
  registry: ToolRegistry,
  { core, pack, identity, clientId }: ToolBinding,
  input: unknown,
  rawProblem: string | null,
): Promise<CallToolResult> {
  const { reply } = registry;
  const { definition } = tool;
  const ctx: KitContext = { core, pack, identity, clientId, reply };
  const gate: GateContext = {
    sessions: core.sessions,
    reply,
    brand: core.brand,
    packId: registry.packId,
    development: registry.development,
  };
  const args = input as Record<string, unknown>;
  // Input that cannot be kept faithfully, or does not fit the schema, is the caller's to fix:
  // refused before anything runs.
  const problem = rawProblem ?? (args as { [SCHEMA_PROBLEM]?: string })[SCHEMA_PROBLEM] ?? null;
  const writes = definition.access === "write";
  const site = { tool: tool.name, fromPack: tool.fromPack, writes };
  // Every success is checked against the tool's output schema here, inside the gate, so a
  // mismatch is answered in the product's voice and logged as a failure, on the direct path and
  // the SDK's alike (the SDK's own check then finds nothing). A pack's write and its history
  // entry commit together, or neither does, and its answer is checked before that, so a write
  // never commits behind an answer that fails. In development a pack's read runs in a read-only
  // transaction: a read tool that writes is refused by the database, where the builder sees it.
  const checked = async () => {
    const result = await definition.run(args, ctx);
    if (result.isError !== true) await checkOutput(tool, result);
    return result;
  };
  const work = tool.fromPack && writes
    ? () =>
      core.atomically(async () => {
        const result = await definition.run(args, ctx);
        // A refusal changes nothing: whatever the tool wrote before it is rolled back.
        if (result.isError === true) throw new Unchanged(result);
        await checkOutput(tool, result);
        await recordDomainChange(core, identity, clientId, tool.name, args, result);
        return result;
      }).catch((error) => {
        if (error instanceof Unchanged) return error.result;
        throw error;
      })
    : tool.fromPack && registry.readOnlyReads
    ? () => core.readOnly(checked)
    : checked;
  // A pack's tool runs as the verified caller: the database shows it only their rows of a
  // personal table, whatever its SQL says (see store/isolation.ts).
  const isolated = tool.fromPack ? () => core.asPerson(identity.sub, work) : work;
  const run = definition.expensive
    ? () => oneAtATime(registry.expensiveRunning, identity.sub, reply, tool.name, isolated)
    : isolated;
  // Counted while the work runs, not while its request is open: a client that drops its
  // connection gets its request slot back at once, but not the call it left running.
  const release = problem === null ? registry.callsRunning.enter(identity.sub) : undefined;
  if (release === null) {
    countPersonRefusal("calls_running");
    return reply.refused(
      `too many calls are running at once for this ${core.brand.userNoun} (at most ` +
        `${registry.callsRunning.limit}). Wait for an answer, then call again.`,
    );
  }
  const result = problem !== null
    ? reply.refused(problem)
    : definition.session === "none"
    ? await guarded(gate, site, run).finally(release)
    : await gated(
      gate,
      site,
      identity,
      args.session as string | undefined,
      definition.checkBeside && !tool.fromPack ? "beside" : "first",
      run,
    ).finally(release);
  noteToolCall(tool.name, result.isError === true);
  markToolOutcome(result.isError === true, result.isError ? failureKindOf(result) : undefined);
  // The structured answer only: its text rendering repeats it, credentials in prose included.
  markToolContent(args, result.structuredContent ?? { isError: result.isError === true });
  return result;
}

/** Which of the kit's failures an `isError` result is, by the sentence it begins with. */
function failureKindOf(result: CallToolResult): FailureKind {
  const first = result.content?.[0];
  const text = first?.type === "text" ? first.text : "";
  if (text.startsWith(REFUSED_PREFIX)) return "refused";
  if (text.startsWith(OUTCOME_UNKNOWN_PREFIX)) return "outcome_unknown";
  if (text.startsWith(CALL_FAILED_PREFIX)) return "call_failed";
  return "fail_closed";
}

/**
 * Throws {@linkcode OutputMismatch} when a success's structured content does not fit the schema
 * (a success without any is one: every tool has an output schema).
 */
async function checkOutput(tool: RegisteredTool, result: CallToolResult): Promise<void> {
  const checked = await tool.outputSchema["~standard"].validate(result.structuredContent);
  if (checked.issues) throw new OutputMismatch(listIssues(checked.issues));
}

/** Carries a pack write's refusal out of its transaction, rolling the transaction back. */
class Unchanged extends Error {
  constructor(readonly result: CallToolResult) {
    super("refused");
  }
}

/**
 * Runs an expensive tool unless one is already running for this person: a host (or a batch)
 * firing many at once would otherwise make the server build many large answers side by side and
 * slow everyone else's calls. The second is refused, not queued, so nothing waits unbounded.
 */
async function oneAtATime(
  running: Set<string>,
  sub: string,
  reply: KitReply,
  name: string,
  work: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  if (running.has(sub)) {
    return reply.refused(
      `${name} is already running for this person (one at a time). Wait for its answer, then ` +
        "call it again if it is still needed.",
    );
  }
  running.add(sub);
  try {
    return await work();
  } finally {
    running.delete(sub);
  }
}

/**
 * A pack's write changed the person's data: it goes into their history, with its arguments (less
 * the session token) and the first line of its answer — in the write's own transaction (see
 * `CoreServices.atomically`), so a history that cannot be written undoes the write and the call
 * fails closed, instead of a change kept with no record of it.
 */
async function recordDomainChange(
  core: CoreServices,
  identity: Identity,
  clientId: string | undefined,
  tool: string,
  args: Record<string, unknown>,
  result: CallToolResult,
): Promise<void> {
  const { session: _session, ...rest } = args;
  const first = result.content?.[0];
  const text = first && first.type === "text" ? first.text.split("\n")[0].slice(0, 200) : tool;
  await core.users.recordChange(identity.sub, { tool, clientId }, {
    arguments: rest,
    summary: text,
  });
}
