import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { argumentProblem } from "./argument_limits.ts";

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { n: value };
  return value;
}

Deno.test("argumentProblem: what a tool argument may be", async (t) => {
  await t.step("ordinary arguments pass, emoji (paired surrogates) included", () => {
    assertEquals(
      argumentProblem({ session: "s", patch: { a: [1, 2, { b: "ok 😀" }], c: null, d: -0.5 } }),
      null,
    );
    assertEquals(argumentProblem({}), null);
    assertEquals(argumentProblem(undefined), null);
  });
  await t.step("NUL in a value or a key is refused, naming where", () => {
    assertStringIncludes(argumentProblem({ patch: { note: "a\u0000b" } })!, "patch.note");
    assertStringIncludes(argumentProblem({ patch: { note: "a\u0000b" } })!, "NUL");
    assertStringIncludes(argumentProblem({ patch: { "k\u0000": 1 } })!, "a key in patch");
    assertStringIncludes(argumentProblem({ query: "\u0000" })!, "query");
  });
  await t.step("unpaired surrogates (high or low, anywhere) are refused", () => {
    for (const bad of ["\uD800", "x\uDBFFy", "\uDC00", "😀\uDFFF"]) {
      assertStringIncludes(argumentProblem({ id: bad })!, "unpaired UTF-16 surrogate");
      assertStringIncludes(argumentProblem({ patch: { [bad]: 1 } })!, "surrogate");
    }
  });
  await t.step("numbers JSON cannot hold are refused", () => {
    for (const bad of [Infinity, -Infinity, NaN]) {
      assertStringIncludes(argumentProblem({ patch: { num: bad } })!, "patch.num");
    }
    assertStringIncludes(argumentProblem({ patch: { list: [1, Infinity] } })!, "patch.list[1]");
  });
  await t.step("__proto__ keys are refused at any level", () => {
    for (
      const args of [
        JSON.parse('{"__proto__": {"x": 1}}'),
        JSON.parse('{"patch": {"__proto__": {"x": 1}}}'),
        JSON.parse('{"patch": {"a": [{"__proto__": 1}]}}'),
      ]
    ) {
      assertStringIncludes(argumentProblem(args)!, '"__proto__"');
    }
  });
  await t.step("32 levels deep pass, 33 are refused; 20,000 are refused without recursion", () => {
    assertEquals(argumentProblem({ patch: nested(32) }), null);
    assertStringIncludes(argumentProblem({ patch: nested(33) })!, "more than 32 levels");
    const started = performance.now();
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    assertStringIncludes(argumentProblem({ patch: { deep } })!, "nested more than 32 levels");
    assert(performance.now() - started < 500);
  });
  await t.step("more than 10,000 values in all are refused", () => {
    const wide = Object.fromEntries(Array.from({ length: 32_000 }, (_, i) => [`k${i}`, i]));
    assertStringIncludes(argumentProblem({ patch: wide })!, "more than 10000 values");
    const fits = Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`k${i}`, i]));
    assertEquals(argumentProblem({ patch: fits }), null);
  });
  await t.step("more than 10,000 top-level arguments are refused too", () => {
    const flat = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    assertStringIncludes(argumentProblem(flat)!, "more than 10000 values");
  });
  await t.step("whole numbers beyond ±2^53 are refused; safe ones and fractions pass", () => {
    const big = JSON.parse('{"patch": {"big": 12345678901234567891}}');
    assertStringIncludes(argumentProblem(big)!, "patch.big");
    assertStringIncludes(argumentProblem({ n: -(2 ** 53) })!, "beyond ±2^53");
    assertEquals(argumentProblem({ n: 2 ** 53 - 1, m: -(2 ** 53 - 1), f: 0.1, e: 1.5e-300 }), null);
  });
  await t.step("what is echoed is bounded", () => {
    const longKey = "k".repeat(5_000);
    const problem = argumentProblem({ patch: { [longKey]: "\u0000" } })!;
    assert(problem.length < 300, problem);
  });
});
