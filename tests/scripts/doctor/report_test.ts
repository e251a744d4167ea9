/**
 * The doctor's report writer (`scripts/doctor/report.ts`): a server's words are shown quoted,
 * cut, and with every character a terminal acts on escaped; the doctor's own words too.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { newProbe, ours, Said, text } from "../../../scripts/doctor/probe.ts";
import { printable, rendered, report, shown } from "../../../scripts/doctor/report.ts";

Deno.test("printable escapes what a terminal would act on, and keeps the rest", () => {
  assertEquals(
    printable("\u001b[2J\u0007\r\n\u0000\t"),
    "\\u001b[2J\\u0007\\u000d\\u000a\\u0000\\u0009",
  );
  assertEquals(printable("\u007f\u0080\u009b\u0085"), "\\u007f\\u0080\\u009b\\u0085");
  assertEquals(printable("a\u202eb\u2066c\u2028d"), "a\\u202eb\\u2066c\\u2028d");
  assertEquals(printable("lone \ud800 and \udfff"), "lone \\ud800 and \\udfff");
  assertEquals(printable("café 😀 → ok"), "café 😀 → ok");
});

Deno.test("shown quotes a server's value, cut to a readable length", () => {
  assertEquals(shown('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assertEquals(shown("\u009b31m"), '"\\u009b31m"');
  assertEquals(shown(["plain", "\u001b"]), '["plain","\\u001b"]');
  assertEquals(shown(undefined), "(none)");
  assertEquals(shown(3600), "3600");
  const long = shown("x".repeat(10_000));
  assert(long.length < 210, `${long.length} characters`);
  assert(shown({ deep: "y".repeat(10_000) }).length < 210);
});

Deno.test("a Text keeps a server's values apart from the doctor's words", () => {
  const t = text`expires in ${"\u001b[2J"} s, ${3} times, ${ours("ours")}`;
  assert(t.parts[1] instanceof Said);
  assertEquals(rendered(t), 'expires in "\\u001b[2J" s, 3 times, ours');
});

Deno.test("the report prints no control character, whatever the probe holds", () => {
  const probe = newProbe("http://127.0.0.1:1/mcp\u001b[2J");
  probe.findings.push({
    check: "tool names\u0007",
    hosts: ["claude.ai"],
    reason: text`names hosts refuse: ${"\u001b]0;title\u0007\r\nClaude Code       ok"}`,
    fix: ours("use 1-64 letters\u009b"),
    level: "fail",
  });
  probe.passed.push({ check: "sign-in", what: text`sign-in completed (for ${"\u001b[31m"} s)` });
  probe.cleanup.push(text`left ${"\u202e"} registered`);
  const printed = report(probe);
  const lines = printed.split("\n");
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  assert(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/.test(printed), JSON.stringify(printed));
  assertEquals(lines.filter((l) => l.startsWith("Claude Code")).length, 1);
  assertStringIncludes(printed, "claude.ai         FAIL  tool names\\u0007 [1]");
});
