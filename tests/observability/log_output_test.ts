import { assertEquals } from "@std/assert";

const MODULE = new URL("../../src/observability/log_output.ts", import.meta.url).href;

async function outputOf(code: string): Promise<string[]> {
  const { stdout, code: exit } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { flushLogLines, writeLogLine } from "${MODULE}";\n${code}`],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assertEquals(exit, 0);
  return new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
}

Deno.test("log lines leave in order, batched, and none is lost", async (t) => {
  const expected = Array.from({ length: 2_000 }, (_, i) => `line ${i}`);
  await t.step("written over several turns of the event loop", async () => {
    const lines = await outputOf(`
      for (let i = 0; i < 2000; i++) {
        writeLogLine("line " + i);
        if (i % 300 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }`);
    assertEquals(lines, expected);
  });
  await t.step("flushed before an exit that would not wait for the timer", async () => {
    const lines = await outputOf(`
      for (let i = 0; i < 2000; i++) writeLogLine("line " + i);
      flushLogLines();
      Deno.exit(0);`);
    assertEquals(lines, expected);
  });
});
