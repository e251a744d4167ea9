/**
 * Zod schemas whose JSON Schema form is computed once, in its portable spelling
 * (`portable_schema.ts`).
 *
 * The MCP server is built per request, and the SDK converts each tool's output schema to JSON Schema
 * on every `tools/call` (and both schemas on every `tools/list`) through `~standard.jsonSchema`.
 * Profiling showed that conversion as the largest single cost of a tool call. This wrapper keeps
 * zod's validation and answers the JSON Schema from a cache, through the same public Standard
 * Schema interface the SDK reads.
 *
 * @module
 */
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { portableSchema } from "./portable_schema.ts";

type Io = "input" | "output";

/**
 * Wraps `schema` so its JSON Schema conversions are memoised per direction and target. With
 * `advertised`, that schema is the one hosts are shown while `schema` validates (used to answer a
 * missing `session` ourselves, with guidance, while hosts still see it as required).
 */
export function precompiled<S extends z.ZodType>(
  schema: S,
  advertised: z.ZodType = schema,
): StandardSchemaWithJSON<z.input<S>, z.output<S>> {
  type Standard = StandardSchemaWithJSON<z.input<S>, z.output<S>>["~standard"];
  const standard = schema["~standard"] as unknown as Standard;
  const shown = advertised["~standard"] as unknown as Standard;
  const cache = new Map<string, Record<string, unknown>>();
  const convert = (io: Io) => (options: { target: string }) => {
    const key = `${io}:${options.target}`;
    let json = cache.get(key);
    if (!json) {
      json = portableSchema(
        shown.jsonSchema[io](options as Parameters<typeof shown.jsonSchema.input>[0]),
      );
      cache.set(key, json);
    }
    return json;
  };
  return {
    "~standard": {
      version: standard.version,
      vendor: standard.vendor,
      validate: (value, options) => standard.validate(value, options),
      types: standard.types,
      jsonSchema: { input: convert("input"), output: convert("output") },
    },
  };
}
