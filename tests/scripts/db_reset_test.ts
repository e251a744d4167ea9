import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { baseEnv } from "../helpers/process.ts";
import { INITIALIZE, startTestServer } from "../helpers/server.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { openChat } from "../helpers/mcp_client.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function reset(env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "db:reset"],
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { code, text };
}

Deno.test("deno task db:reset empties a development database and keeps the sign-in", async (t) => {
  await using db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, DATABASE_WS_PROXY: db.relay.address };
  const dataDir = await Deno.makeTempDir();
  // One port for both starts: tokens name the server's origin, port included.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  listener.close();
  try {
    const token = await (async () => {
      await using server = await startTestServer({ ...env, DATA_DIR: dataDir, PORT: port });
      await using chat = await openChat(server, "resetter");
      const { session } = await chat.begin();
      await chat.call("user_save_state", { session, patch: { kept: false } });
      return await server.mint({ sub: "resetter" });
    })();
    await t.step("it refuses production, and a database on another machine", async () => {
      const production = await reset({ ...env, DATA_DIR: dataDir, APP_ENV: "production" });
      assertEquals(production.code, 1);
      const remote = await reset({
        DATABASE_URL: "postgres://someone@db.example.com/app",
        DATA_DIR: dataDir,
      });
      assertEquals(remote.code, 1);
      assertStringIncludes(remote.text, "db.example.com");
      const smuggled = await reset({
        DATABASE_URL: `${db.url}?host=db.example.com`,
        DATABASE_WS_PROXY: db.relay.address,
        DATA_DIR: dataDir,
      });
      assertEquals(smuggled.code, 1, smuggled.text);
      assertStringIncludes(smuggled.text, "host");
      const [{ n }] = await db.connect().query<{ n: number }>(
        "SELECT count(*)::int AS n FROM users",
      );
      assertEquals(n, 1, "a refused reset changed the database");
    });
    await t.step(
      "it empties every table, and the same sign-in opens the server again",
      async () => {
        const done = await reset({ ...env, DATA_DIR: dataDir });
        assertEquals(done.code, 0, done.text);
        assertStringIncludes(done.text, "Kept: the signing key");
        const tables = await db.connect().query(
          "SELECT 1 FROM pg_tables WHERE schemaname = 'public'",
        );
        assertEquals(tables.length, 0);
        await using server = await startTestServer({ ...env, DATA_DIR: dataDir, PORT: port });
        const response = await fetch(server.mcpUrl, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
          },
          body: JSON.stringify(INITIALIZE),
        });
        await response.body?.cancel();
        assertEquals(response.status, 200, "the earlier token no longer opens the server");
        await using chat = await openChat(server, "resetter");
        const { result } = await chat.begin();
        assertEquals(result.data.state.data, {});
        assert(result.data.profile.previousVisit === null);
      },
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
