/**
 * `deno task doctor` against this kit's server and against stand-ins that each break one thing:
 * it names the hosts that fail and why, and exits non-zero when one would.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { diagnose, report, verdicts } from "../../scripts/doctor.ts";
import { baseEnv } from "../helpers/process.ts";
import { type Flaw, standIn } from "../helpers/standin.ts";
import { startTestServer } from "../helpers/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("the doctor on this kit's server", async (t) => {
  await using server = await startTestServer();
  await t.step("on localhost: claude.ai and ChatGPT cannot reach it; exit 1", async () => {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "doctor", server.mcpUrl, "--sign-in"],
      cwd: ROOT,
      env: baseEnv(),
      clearEnv: true,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const text = new TextDecoder().decode(stdout);
    assertEquals(code, 1, text);
    assertStringIncludes(text, "claude.ai         FAIL");
    assertStringIncludes(text, "cannot reach localhost");
    assertStringIncludes(text, "start a tunnel");
    assertStringIncludes(text, "Claude Code       ok");
    assertStringIncludes(text, "sign-in completed");
    assertStringIncludes(text, "server/discover, 2026-07-28");
    assertStringIncludes(text, "tools: names, hints and schemas");
  });
  await t.step("as if public: every host ok", async () => {
    const probe = await diagnose(server.mcpUrl, { signIn: true, asPublic: true });
    assertEquals(
      verdicts(probe).filter((v) => v.verdict !== "ok"),
      [],
      report(probe, true),
    );
  });
});

const CASES: [Flaw, string[], string][] = [
  ["relative resource_metadata", ["claude.ai", "Claude Code"], "resource_metadata is relative"],
  ["resource of another URL", ["claude.ai", "ChatGPT"], "names resource"],
  ["issuer mismatch", ["claude.ai", "MCP Inspector"], "issuer"],
  ["PKCE plain only", ["claude.ai", "Cursor / VS Code"], "without S256"],
  ["no registration", ["claude.ai", "ChatGPT", "Claude Code"], "no way to become a client"],
  ["2025 era only", ["Claude Code"], "2026-07-28 era is not served"],
  ["type-array schemas", ["Cursor / VS Code"], "schema parts"],
  ["no refresh token", ["claude.ai"], "refresh"],
];

for (const [flaw, hosts, reason] of CASES) {
  Deno.test(`the doctor names the hosts a stand-in with ${flaw} breaks`, async () => {
    await using server = standIn(flaw);
    const probe = await diagnose(server.url, { asPublic: true });
    const rows = verdicts(probe);
    const text = report(probe, false);
    for (const host of hosts) {
      const row = rows.find((r) => r.host === host)!;
      assert(row.verdict !== "ok", `${host} is ok with ${flaw}:\n${text}`);
      assertStringIncludes(row.finding!.reason, reason, text);
      assert(row.finding!.fix.length > 10);
    }
  });
}
