import { assertEquals } from "@std/assert";
import { z } from "zod";
import { portabilityProblems, portableSchema } from "./portable_schema.ts";

Deno.test("zod's nullable and unknown come out portable, meaning the same", () => {
  const schema = z.object({
    email: z.string().nullable().describe("Their address"),
    data: z.record(z.string(), z.unknown()),
    change: z.unknown(),
    count: z.number().int().min(0).nullable(),
  });
  const raw = z.toJSONSchema(schema) as Record<string, unknown>;
  assertEquals(portabilityProblems(raw), [
    ".properties.email: type is an array",
    ".properties.data.additionalProperties: no validation keyword",
    ".properties.change: no validation keyword",
  ]);
  const portable = portableSchema(raw);
  assertEquals(portabilityProblems(portable), []);
  const properties = portable.properties as Record<string, Record<string, unknown>>;
  assertEquals(properties.email, {
    description: "Their address",
    anyOf: [{ type: "string" }, { type: "null" }],
  });
  assertEquals(portableSchema({ type: ["integer", "null"], minimum: 0 }), {
    anyOf: [{ type: "integer", minimum: 0 }, { type: "null" }],
  });
  assertEquals(
    (properties.data.additionalProperties as { anyOf: unknown[] }).anyOf.length,
    6,
  );
  assertEquals(raw.properties, z.toJSONSchema(schema).properties, "the input was changed");
});

Deno.test("a hand-written nullable enum keeps null out of the enum's reach", () => {
  assertEquals(portableSchema({ type: ["string", "null"], enum: ["a", "b"] }), {
    anyOf: [{ type: "string", enum: ["a", "b"] }, { type: "null", enum: ["a", "b"] }],
  });
});
