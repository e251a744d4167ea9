/**
 * Tool schemas every host can read. JSON Schema allows forms that some hosts map badly onto their
 * own dialects (Gemini's OpenAPI subset takes one `type` per schema; a schema with no keyword at
 * all reads as "anything" to one host and as an error to another). What zod emits is rewritten once,
 * at start-up, into the portable spelling of the same meaning:
 *
 * - `type: ["string", "null"]` → `anyOf: [{ type: "string", … }, { type: "null" }]`;
 * - a schema with no validation keyword (`{}`, zod's `unknown`) → any JSON value, spelt out.
 *
 * {@linkcode portabilityProblems} finds what is left of either, for the contract tests.
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

/** Where `schema` is not portable: `type` arrays and schemas without a validation keyword. */
export function portabilityProblems(schema: unknown, path = ""): string[] {
  if (!isSchema(schema)) return [];
  const problems: string[] = [];
  if (Array.isArray(schema.type)) problems.push(`${path || "(root)"}: type is an array`);
  if (path && Object.keys(schema).every((key) => ANNOTATIONS.has(key))) {
    problems.push(`${path}: no validation keyword`);
  }
  for (const [key, value] of Object.entries(schema)) {
    if (ONE.includes(key)) problems.push(...portabilityProblems(value, `${path}.${key}`));
    else if (MANY.includes(key) && Array.isArray(value)) {
      value.forEach((v, i) => problems.push(...portabilityProblems(v, `${path}.${key}[${i}]`)));
    } else if (MAP.includes(key) && isSchema(value)) {
      for (const [name, v] of Object.entries(value)) {
        problems.push(...portabilityProblems(v, `${path}.${key}.${name}`));
      }
    }
  }
  return problems;
}
