import { assert, assertEquals } from "@std/assert";
import { startTestServer } from "../helpers/server.ts";

/** The real MCP Inspector CLI, run under Deno from a scratch directory (so it touches no lockfile). */
async function inspector(url: string, token: string, ...args: string[]) {
  const cwd = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "npm:@modelcontextprotocol/inspector@2.12.0/inspector",
        "--cli",
        url,
        ...args,
        "--header",
        `Authorization: Bearer ${token}`,
      ],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    return JSON.parse(out.slice(out.indexOf("{")));
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("MCP Inspector CLI lists the tools and begins a session with a minted token", async () => {
  await using server = await startTestServer();
  const token = await server.mint({ sub: "inspector-user" });
  const listed = await inspector(server.mcpUrl, token, "--method", "tools/list");
  const names = listed.tools.map((t: { name: string }) => t.name);
  assert(names.includes("begin_session") && names.includes("domain_search"), names.join(","));
  const begun = await inspector(
    server.mcpUrl,
    token,
    "--method",
    "tools/call",
    "--tool-name",
    "begin_session",
  );
  assertEquals(begun.isError ?? false, false);
  assert(begun.structuredContent.session.token.length > 20);
  assertEquals(begun.structuredContent.profile.id, "inspector-user");
});
