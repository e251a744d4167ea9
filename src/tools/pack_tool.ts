/**
 * A pack's tool as the kit serves it. The contract asks a pack tool for only what is its own; the
 * kit adds the rest here, once at start-up: the `session` argument (first, as hosts have always
 * been shown it), strictness (an argument the schema does not name is refused, not dropped), the
 * `guidance` and `reminder` fields of every answer, and the four behaviour hints, derived from
 * `access`. It is also where a pack's tools are held to the contract: a mistake stops the start,
 * naming the pack and the tool.
 *
 * @module
 */
import { z } from "zod";
import type { Pack, ToolDeclaration } from "../pack/mod.ts";
import { hintsOf, sessionArg, withReminder } from "../pack/kit_side.ts";
import { StartupError } from "../errors.ts";
import type { KitToolDefinition } from "./kit_tool.ts";
import { describeSchemaProblem, portableSchema, schemaProblems } from "./portable_schema.ts";

/** A pack's tools break the contract; start-up stops with this. */
export class PackContractError extends StartupError<"pack_contract"> {
  /** Creates the error naming the pack and what is wrong. */
  constructor(packId: string, problem: string) {
    super("pack_contract", `Domain pack "${packId}": ${problem}`);
  }
}

const DOMAIN_TOOL_NAME = /^domain_[a-z][a-z0-9_]{0,58}$/;

const ACCESS: ReadonlySet<unknown> = new Set(["read", "write", "destructive"]);

/** The fields the kit adds to every answer's structured content. */
const REPLY_FIELDS = Object.keys(withReminder({}).shape);

/**
 * The pack tool `tool` as the kit lists, validates and runs it (through the open pack).
 *
 * @throws {PackContractError} when the tool is misnamed, lacks an access declaration or an example
 *   call, declares what the kit adds (`session`, `guidance`, `reminder`, the hints), asks for what
 *   only the kit's tools may (no session, running beside the session check), or has an input
 *   schema with a nested object that would let unknown keys through, or one some clients cannot
 *   call (a union of objects as an argument).
 */
export function packToolOf(packId: string, tool: ToolDeclaration): KitToolDefinition {
  const broken = (problem: string) =>
    new PackContractError(packId, `tool "${tool.name}" ${problem}`);
  if (!DOMAIN_TOOL_NAME.test(tool.name)) throw broken("must be named domain_<name>");
  // What the types rule out is checked at run time too: a JavaScript pack, or one written for an
  // earlier contract, can have it.
  if (Reflect.get(tool, "session") === "none") throw broken("must require a session");
  if (Reflect.get(tool, "checkBeside")) throw broken("may not run beside the session check");
  if (!ACCESS.has(tool.access)) {
    throw broken('must declare access "read", "write" or "destructive"');
  }
  if (Reflect.get(tool, "annotations") !== undefined) {
    throw broken(
      "states annotations: the kit derives all four hints from access (and idempotent, " +
        "openWorld); remove them",
    );
  }
  for (const flag of ["idempotent", "openWorld"] as const) {
    if (tool[flag] !== undefined && typeof tool[flag] !== "boolean") {
      throw broken(`says ${flag}: ${JSON.stringify(tool[flag])}; use true or false`);
    }
  }
  const input = tool.inputSchema;
  if (!(input instanceof z.ZodObject)) {
    throw broken("must have an inputSchema made with z.object({ … })");
  }
  if (Object.hasOwn(input.shape, "session")) {
    throw broken(
      "declares session in its inputSchema: the kit adds the session argument to every pack " +
        "tool; remove it",
    );
  }
  const output = tool.outputSchema;
  if (!(output instanceof z.ZodObject)) {
    throw broken("must have an outputSchema made with z.object({ … })");
  }
  const added = REPLY_FIELDS.filter((field) => Object.hasOwn(output.shape, field));
  if (added.length > 0) {
    throw broken(
      `declares ${added.join(" and ")} in its outputSchema: the kit adds ${
        REPLY_FIELDS.join(" and ")
      } to every answer (reply.success's third argument is the guidance); remove ${
        added.length > 1 ? "them" : "it"
      }`,
    );
  }
  const example: unknown = tool.example;
  if (typeof example !== "object" || example === null || Array.isArray(example)) {
    throw broken("has no example call (example: its arguments, without session)");
  }
  const inputSchema = rebuilt(input, z.object({ session: sessionArg, ...input.shape }).strict());
  const inputJson = z.toJSONSchema(inputSchema, { io: "input", unrepresentable: "any" });
  const loose = looseObjects(inputJson);
  if (loose.length > 0) {
    throw broken(
      `has an inputSchema that lets keys it does not name through at ${
        loose.map((at) => at === "" ? "the top level" : at).join(", ")
      } (a misspelt or stray key would be dropped silently): make each nested z.object({ … }) ` +
        ".strict()",
    );
  }
  const unportable = unportableArguments(inputJson);
  if (unportable) throw broken(unportable);
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    // A destructive tool is a write: one transaction with its history entry.
    access: tool.access === "read" ? "read" : "write",
    annotations: hintsOf(tool),
    ...(tool.expensive ? { expensive: true } : {}),
    inputSchema,
    outputSchema: rebuilt(output, withReminder(output.shape)),
    run: (args, { pack, identity, clientId, reply }) =>
      pack.call(tool.name, args, { identity, clientId, reply }),
  };
}

/**
 * What is wrong with a tool's arguments as hosts are shown them (`inputJson` in the portable
 * spelling the kit lists), or `null`. A union of objects is refused because a widely used client
 * cannot call it (see `portable_schema.ts`); what else the check finds is refused with it.
 */
function unportableArguments(inputJson: Record<string, unknown>): string | null {
  const problems = schemaProblems(portableSchema(inputJson), { arguments: true });
  if (problems.length === 0) return null;
  const unions = problems.filter((p) => p.kind === "object_union").map((p) => p.argument);
  if (unions.length > 0) {
    return `takes a union of objects as its argument${unions.length > 1 ? "s" : ""} ${
      unions.join(", ")
    }: some clients cannot call it (LangChain's MCP adapter merges the variants into one ` +
      "object, the last one winning, so a call in any other variant is refused there); split " +
      "it into one tool per variant, or one flat object";
  }
  return `has an inputSchema some clients read badly (${
    problems.slice(0, 3).map(describeSchemaProblem).join("; ")
  }); make it flatter`;
}

/** The shape of `begin_session`'s `domain` field that `pack` adds, if any, as a zod object. */
export function sessionSchemaOf(pack: Pack): z.ZodObject | undefined {
  const schema = pack.sessionSchema;
  if (schema === undefined) return undefined;
  if (!(schema instanceof z.ZodObject)) {
    throw new PackContractError(pack.id, "its session.schema must be made with z.object({ … })");
  }
  return schema;
}

/**
 * `built` (made from `schema`'s fields) with what `schema` says of the object as a whole: its
 * checks (`.refine`, `.superRefine`) and its description.
 */
function rebuilt(schema: z.ZodObject, built: z.ZodObject): z.ZodObject {
  // They were written for `schema`'s values; `built`'s hold the same fields (and the kit's).
  const checks = (schema._zod.def.checks ?? []) as z.core.$ZodCheck<Record<string, unknown>>[];
  const checked = checks.length > 0 ? built.check(...checks) : built;
  return schema.description === undefined ? checked : checked.describe(schema.description);
}

/**
 * Where a JSON Schema has an object that names its properties but lets others through (zod's
 * default, `.strip()`, and `.passthrough()`), as dotted paths ("" is the top level).
 */
function looseObjects(node: unknown, at = ""): string[] {
  if (typeof node !== "object" || node === null) return [];
  const schema = node as Record<string, unknown>;
  const found: string[] = [];
  const properties = schema.properties;
  if (typeof properties === "object" && properties !== null) {
    if (schema.additionalProperties !== false) found.push(at);
    for (const [key, child] of Object.entries(properties)) {
      found.push(...looseObjects(child, at === "" ? key : `${at}.${key}`));
    }
  }
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    const variants = schema[key];
    if (Array.isArray(variants)) { for (const v of variants) found.push(...looseObjects(v, at)); }
  }
  found.push(...looseObjects(schema.items, `${at}[]`));
  found.push(...looseObjects(schema.additionalProperties, `${at}.*`));
  const defs = schema.$defs;
  if (typeof defs === "object" && defs !== null) {
    for (const [name, def] of Object.entries(defs)) {
      found.push(...looseObjects(def, `$defs.${name}`));
    }
  }
  return [...new Set(found)];
}
