import { assertEquals, assertStringIncludes } from "@std/assert";

Deno.test("deno task dev starts on embedded defaults and says how to connect", async () => {
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
  } finally {
    child.kill();
    await child.status;
    await Deno.remove(dataDir, { recursive: true });
  }
});
