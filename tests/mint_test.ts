import { assertEquals, assertStringIncludes } from "@std/assert";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { INITIALIZE, startTestServer } from "./helpers/server.ts";

async function mint(env: Record<string, string>, ...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "mint", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    token: new TextDecoder().decode(stdout).trim(),
    stderr: new TextDecoder().decode(stderr),
  };
}

Deno.test("deno task mint prints tokens the running server accepts", async (t) => {
  await using server = await startTestServer();
  const env = { DATA_DIR: server.config.dataDir, PUBLIC_URL: server.config.publicUrl };
  await t.step("a default token opens the door", async () => {
    const { code, token } = await mint(env, "--sub", "alice", "--email", "a@example.com");
    assertEquals(code, 0);
    const claims = decodeJwt(token);
    assertEquals(decodeProtectedHeader(token).typ, "at+jwt");
    assertEquals([claims.sub, claims.email, claims.aud, claims.scope], [
      "alice",
      "a@example.com",
      server.mcpUrl,
      "mcp",
    ]);
    const response = await server.post(INITIALIZE, { authorization: `Bearer ${token}` });
    assertEquals(response.status, 200);
    await response.body?.cancel();
  });
  await t.step("a negative ttl gives an already expired token", async () => {
    const { token } = await mint(env, "--sub", "alice", "--ttl=-120");
    const response = await server.post(INITIALIZE, { authorization: `Bearer ${token}` });
    assertEquals(response.status, 401);
    assertEquals((await response.json()).error_description, "The token has expired");
  });
  await t.step("--aud, --iss and --scope shape the token", async () => {
    const { token } = await mint(
      env,
      "--sub=bob",
      "--aud=https://else.example.com/mcp",
      "--iss=https://else.example.com",
      "--scope=read write",
    );
    const claims = decodeJwt(token);
    assertEquals([claims.aud, claims.iss, claims.scope], [
      "https://else.example.com/mcp",
      "https://else.example.com",
      "read write",
    ]);
  });
  await t.step(
    "with only the server's DATA_DIR it signs for that server, whatever its port",
    async () => {
      // The test server listens on a port picked at start, and mint is told nothing of it.
      const { code, token, stderr } = await mint(
        { DATA_DIR: server.config.dataDir },
        "--sub",
        "carol",
      );
      assertEquals(code, 0, stderr);
      assertEquals(decodeJwt(token).iss, server.config.publicUrl);
      assertStringIncludes(stderr, `Signed for issuer ${server.config.publicUrl}`);
      const response = await server.post(INITIALIZE, { authorization: `Bearer ${token}` });
      assertEquals(response.status, 200);
      await response.body?.cancel();
    },
  );
  await t.step("a PORT given to mint wins, and it says which server it is not", async () => {
    const { token, stderr } = await mint(
      { DATA_DIR: server.config.dataDir, PORT: "1" },
      "--sub",
      "carol",
    );
    assertEquals(decodeJwt(token).iss, "http://localhost:1");
    assertStringIncludes(stderr, `is ${server.config.publicUrl}`);
  });
  await t.step("without --sub it explains itself", async () => {
    const { code, stderr } = await mint(env);
    assertEquals(code, 2);
    assertStringIncludes(stderr, "--sub is required");
  });
});
