/**
 * Tool schemas every host can read. JSON Schema allows forms that some hosts map badly onto their
 * own dialects (Gemini's OpenAPI subset takes one `type` per schema; a schema with no keyword at
 * all reads as "anything" to one host and as an error to another). What zod emits is rewritten once,
 * at start-up, into the portable spelling of the same meaning:
 *
 * - `type: ["string", "null"]` → `anyOf: [{ type: "string", … }, { type: "null" }]`;
 * - a schema with no validation keyword (`{}`, zod's `unknown`) → any JSON value, spelt out.
 *
 * One shape has no portable spelling: an argument that is a union of objects (`anyOf` / `oneOf`
 * with two or more object variants, as `z.discriminatedUnion` makes). LangChain's MCP adapter
 * (`@langchain/mcp-adapters` 1.1) merges the variants into one object, property by property, so
 * the last variant's `type: const "cancel"` overwrites the first's `const "book"`: its model is
 * shown a schema that allows one variant only, and a call in any other is refused before it is
 * sent. A pack tool with one is refused at start-up (`pack_tool.ts`); the doctor flags it.
 *
 * {@linkcode schemaProblems} finds what is left of any of these, for the start-up check, the
 * contract tests and the doctor (which reads schemas from servers it does not control, so the walk
 * is bounded in depth).
 *
 * @module
 */

type Json = Record<string, unknown>;

/** Keywords that describe rather than constrain. */
const ANNOTATIONS = new Set(["description", "title", "default", "examples", "$comment"]);

/** Any JSON value, with a keyword a host can read. */
const ANY_JSON_VALUE = ["object", "array", "string", "number", "boolean", "null"].map((type) => ({
  type,
}));

/** Keywords whose value is one subschema. */
const ONE = [
  "additionalProperties",
  "items",
  "not",
  "contains",
  "propertyNames",
  "if",
  "then",
  "else",
];
/** Keywords whose value is a list of subschemas. */
const MANY = ["anyOf", "oneOf", "allOf", "prefixItems"];
/** Keywords whose value maps names to subschemas. */
const MAP = ["properties", "patternProperties", "$defs", "definitions"];

/** `schema` in its portable spelling (a new object; `schema` is left as it was). */
export function portableSchema(schema: Json): Json {
  return rewrite(schema, true);
}

function rewrite(schema: Json, root = false): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ONE.includes(key) && isSchema(value)) out[key] = rewrite(value);
    else if (MANY.includes(key) && Array.isArray(value)) {
      out[key] = value.map((v) => isSchema(v) ? rewrite(v) : v);
    } else if (MAP.includes(key) && isSchema(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, v]) => [name, isSchema(v) ? rewrite(v) : v]),
      );
    } else out[key] = value;
  }
  if (!root && Object.keys(out).every((key) => ANNOTATIONS.has(key))) {
    return { ...out, anyOf: ANY_JSON_VALUE };
  }
  if (Array.isArray(out.type)) {
    const types = out.type as string[];
    const { type: _type, ...rest } = out;
    const shown = Object.fromEntries(
      Object.entries(rest).filter(([key]) => ANNOTATIONS.has(key)),
    );
    const constraints = Object.fromEntries(
      Object.entries(rest).filter(([key]) => !ANNOTATIONS.has(key)),
    );
    // Keywords that hold whatever the type (enum, const, not, allOf) go on every branch, so the
    // null branch admits null only where the original did.
    const everyType = Object.fromEntries(
      Object.entries(constraints).filter(([key]) =>
        ["enum", "const", "not", "allOf"].includes(key)
      ),
    );
    return {
      ...shown,
      anyOf: types.map((type) =>
        type === "null" ? { type, ...everyType } : { type, ...constraints }
      ),
    };
  }
  return out;
}

function isSchema(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * How deep {@linkcode schemaProblems} walks: a tool's own schemas nest a dozen levels at most, while
 * one from a server the doctor does not control may nest until the walk runs out of stack.
 */
export const MAX_SCHEMA_DEPTH = 64;

/** What kind of problem a schema has. */
export type SchemaProblemKind = "type_array" | "no_keyword" | "object_union" | "too_deep";

/** One place where a schema is not portable. */
export interface SchemaProblem {
  kind: SchemaProblemKind;
  /** Where, as a path through the schema (`.properties.action.oneOf[0]`; `""` is the root). */
  at: string;
  /** Where, as a path through the value it describes (`action`, `items[].when`; `""` the root). */
  argument: string;
}

/** Options of {@linkcode schemaProblems}. */
export interface SchemaProblemOptions {
  /** The schema describes a tool's arguments, so a union of objects in it is a problem too. */
  arguments?: boolean;
}

/**
 * Where `schema` is not portable: `type` arrays, schemas without a validation keyword, schemas
 * nested deeper than {@linkcode MAX_SCHEMA_DEPTH} (reported, not walked further), and, for
 * arguments, unions of objects. Any value is taken: what is not a schema has no problems.
 */
export function schemaProblems(
  schema: unknown,
  { arguments: isArguments = false }: SchemaProblemOptions = {},
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const root = isSchema(schema) ? schema : {};
  const walk = (node: unknown, at: string, argument: string, depth: number): void => {
    if (!isSchema(node)) return;
    if (depth > MAX_SCHEMA_DEPTH) {
      problems.push({ kind: "too_deep", at, argument });
      return;
    }
    if (Array.isArray(node.type)) problems.push({ kind: "type_array", at, argument });
    if (at && Object.keys(node).every((key) => ANNOTATIONS.has(key))) {
      problems.push({ kind: "no_keyword", at, argument });
    }
    if (isArguments) {
      for (const key of ["anyOf", "oneOf"]) {
        const variants = node[key];
        if (!Array.isArray(variants)) continue;
        if (variants.filter((v) => isObjectSchema(v, root)).length >= 2) {
          problems.push({ kind: "object_union", at: `${at}.${key}`, argument });
        }
      }
    }
    const into = (value: unknown, key: string, step: string) =>
      walk(value, `${at}.${key}`, `${argument}${step}`, depth + 1);
    for (const [key, value] of Object.entries(node)) {
      if (ONE.includes(key)) {
        into(value, key, key === "items" ? "[]" : key === "additionalProperties" ? ".*" : "");
      } else if (MANY.includes(key) && Array.isArray(value)) {
        value.forEach((v, i) => into(v, `${key}[${i}]`, key === "prefixItems" ? `[${i}]` : ""));
      } else if (MAP.includes(key) && isSchema(value)) {
        for (const [name, v] of Object.entries(value)) {
          if (key === "properties") into(v, `${key}.${name}`, argument ? `.${name}` : name);
          else if (key === "patternProperties") into(v, `${key}.${name}`, ".*");
          // A definition is reached through a $ref; where from is not known here.
          else walk(v, `${at}.${key}.${name}`, `(${key}.${name})`, depth + 1);
        }
      }
    }
  };
  walk(schema, "", "", 0);
  return problems;
}

/**
 * A variant LangChain's adapter merges as an object: it says `type: "object"` or names properties
 * (a local `$ref` is followed once, as the adapter dereferences them first).
 */
function isObjectSchema(variant: unknown, root: Json): boolean {
  if (!isSchema(variant)) return false;
  const ref = variant.$ref;
  const target = typeof ref === "string" ? localDefinition(ref, root) : variant;
  if (!isSchema(target)) return false;
  const type = target.type;
  return type === "object" || (Array.isArray(type) && type.includes("object")) ||
    isSchema(target.properties);
}

function localDefinition(ref: string, root: Json): unknown {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match) return undefined;
  const defs = root[match[1]];
  return isSchema(defs) && Object.hasOwn(defs, match[2]) ? defs[match[2]] : undefined;
}

/** What each kind of problem is, in a few words. */
const PROBLEM_WORDS: Record<SchemaProblemKind, (p: SchemaProblem) => string> = {
  type_array: () => "type is an array",
  no_keyword: () => "no validation keyword",
  object_union: (p) => `a union of objects (argument ${p.argument || "(root)"})`,
  too_deep: () => `nested more than ${MAX_SCHEMA_DEPTH} levels deep (not walked further)`,
};

/** What `problem` is, in a few words: `type is an array`. */
export function schemaProblemWords(problem: SchemaProblem): string {
  return PROBLEM_WORDS[problem.kind](problem);
}

/** `problem` as a line: `.properties.email: type is an array`. */
export function describeSchemaProblem(problem: SchemaProblem): string {
  return `${problem.at || "(root)"}: ${schemaProblemWords(problem)}`;
}

/** {@linkcode schemaProblems}, each as {@linkcode describeSchemaProblem} words it. */
export function portabilityProblems(
  schema: unknown,
  options: SchemaProblemOptions = {},
): string[] {
  return schemaProblems(schema, options).map(describeSchemaProblem);
}
