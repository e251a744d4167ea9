import { assertEquals } from "@std/assert";
import { z } from "zod";
import {
  MAX_SCHEMA_DEPTH,
  portabilityProblems,
  portableSchema,
  schemaProblems,
} from "./portable_schema.ts";

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

Deno.test("an argument that is a union of objects is a problem; other unions are not", async (t) => {
  const Book = z.object({ type: z.literal("book"), at: z.string() }).strict();
  const Cancel = z.object({ type: z.literal("cancel"), id: z.string() }).strict();
  const schema = z.object({
    action: z.discriminatedUnion("type", [Book, Cancel]),
    steps: z.array(z.union([Book, Cancel])).optional(),
    when: z.object({ at: z.string() }).strict().nullable(),
    either: z.union([z.string(), z.number()]).optional(),
    anything: z.unknown(),
  });
  const listed = portableSchema(z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>);
  await t.step("as arguments: each union of objects, with its argument path", () => {
    assertEquals(schemaProblems(listed, { arguments: true }), [
      { kind: "object_union", at: ".properties.action.oneOf", argument: "action" },
      { kind: "object_union", at: ".properties.steps.items.anyOf", argument: "steps[]" },
    ]);
    assertEquals(portabilityProblems(listed, { arguments: true }), [
      ".properties.action.oneOf: a union of objects (argument action)",
      ".properties.steps.items.anyOf: a union of objects (argument steps[])",
    ]);
  });
  await t.step("as an answer: a union of objects is fine", () => {
    assertEquals(portabilityProblems(listed), []);
  });
  await t.step("variants by $ref are followed, as the adapter dereferences them", () => {
    const byRef = {
      type: "object",
      properties: { action: { anyOf: [{ $ref: "#/$defs/A" }, { $ref: "#/$defs/B" }] } },
      $defs: {
        A: { type: "object", properties: { a: { type: "string" } } },
        B: { properties: { b: { type: "string" } } },
      },
    };
    assertEquals(portabilityProblems(byRef, { arguments: true }), [
      ".properties.action.anyOf: a union of objects (argument action)",
    ]);
    const missing = { type: "object", properties: { x: { anyOf: [{ $ref: "#/$defs/nope" }] } } };
    assertEquals(portabilityProblems(missing, { arguments: true }), []);
  });
});

Deno.test("a schema nested past the bound is reported as too deep, not walked to a stack overflow", () => {
  // As a hostile server could list it: 100,000 objects, each the only property of the last.
  let deep: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 100_000; i++) deep = { type: "object", properties: { n: deep } };
  const problems = schemaProblems(deep, { arguments: true });
  assertEquals(problems.map((p) => p.kind), ["too_deep"]);
  assertEquals(problems[0].at, ".properties.n".repeat(MAX_SCHEMA_DEPTH + 1));
  assertEquals(portabilityProblems(deep), [
    `${".properties.n".repeat(MAX_SCHEMA_DEPTH + 1)}: nested more than ${MAX_SCHEMA_DEPTH} ` +
    "levels deep (not walked further)",
  ]);
  // A list nested as deep: the same.
  let list: unknown = { type: "string" };
  for (let i = 0; i < 100_000; i++) list = { type: "array", items: list };
  assertEquals(schemaProblems(list).map((p) => p.kind), ["too_deep"]);
});
