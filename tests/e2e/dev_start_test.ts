import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

Deno.test("deno task dev serves the whole tool set on embedded PGlite with nothing configured", async () => {
  const dataDir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "dev"],
    env: { PORT: "0", DATA_DIR: dataDir },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    let banner = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      banner += chunk;
      if (banner.includes("MCP Inspector")) break;
    }
    const url = /Connector URL\s+(\S+)/.exec(banner)?.[1];
    assertStringIncludes(banner, "deno task mint --sub alice");
    assertStringIncludes(banner, `claude mcp add --transport http reading-room ${url}`);
    const prm = await (await fetch(new URL("/.well-known/oauth-protected-resource/mcp", url)))
      .json();
    assertEquals(prm.resource, url);
    const unauthenticated = await fetch(url!, { method: "POST", body: "{}" });
    assertEquals(unauthenticated.status, 401);
    await unauthenticated.body?.cancel();

    // A token from `deno task mint` against the same DATA_DIR, then the real client.
    const minted = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "mint", "--sub", "newcomer"],
      env: { DATA_DIR: dataDir, PUBLIC_URL: new URL(url!).origin },
      stdout: "piped",
      stderr: "null",
    }).output();
    const token = new TextDecoder().decode(minted.stdout).trim();
    const client = new Client({ name: "newcomer", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url!), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      assertEquals((await client.listTools()).tools.length, 14);
      const begin = await client.callTool({ name: "begin_session", arguments: {} });
      assert(!begin.isError, JSON.stringify(begin.content));
      const session = (begin.structuredContent as { session: { token: string } }).session.token;
      const search = await client.callTool({
        name: "domain_search",
        arguments: { session, query: "sourdough" },
      });
      assert(!search.isError, JSON.stringify(search.content));
      assert((search.structuredContent as { results: unknown[] }).results.length > 0);
    } finally {
      await client.close();
    }
    // The embedded database lives under DATA_DIR.
    assert((await Deno.stat(`${dataDir}/pglite`)).isDirectory);
  } finally {
    child.kill();
    await child.status;
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an unknown DOMAIN stops start-up with the list of known packs", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "dev"],
      env: { PORT: "0", DATA_DIR: dataDir, DOMAIN: "no_such_pack" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(run.code, 1);
    const message = new TextDecoder().decode(run.stderr);
    assertStringIncludes(message, 'DOMAIN: no domain pack "no_such_pack"');
    assertStringIncludes(message, "known packs: reading_room");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
