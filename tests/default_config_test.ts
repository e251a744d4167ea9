/**
 * The default `deno.json` (what an editor and a bare `deno check` use) resolves what the tests
 * beside the code import, without adding a registry package to what `deno task dev` installs.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

Deno.test("deno check under the default deno.json passes on tests beside the code", async () => {
  // A kit test and a pack test: both import `@std/assert`. `--frozen`: the lock stays as it is.
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "check",
      "--config",
      "deno.json",
      "--frozen",
      "src/tools/gate_test.ts",
      "src/domains/booking/time_test.ts",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
});
