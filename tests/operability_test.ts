import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { openChat } from "./helpers/mcp_client.ts";
import { startTestServer } from "./helpers/server.ts";

Deno.test("healthz says the process is up; readyz says which store fails", async (t) => {
  const kvDir = await Deno.makeTempDir();
  try {
    await using server = await startTestServer({
      KV_PATH: join(kvDir, "kv", "kv.sqlite3"),
      STORE_TIMEOUT_MS: "2000",
    });
    const get = async (path: string) => {
      const response = await fetch(`${server.config.publicUrl}${path}`);
      return { status: response.status, body: await response.json() };
    };
    await t.step("all well", async () => {
      assertEquals(await get("/healthz"), { status: 200, body: { status: "ok" } });
      // Ready once the fresh database is prepared (on a loaded machine, after this short deadline).
      for (let tries = 0; tries < 20 && (await get("/readyz")).status !== 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assertEquals(await get("/readyz"), {
        status: 200,
        body: { status: "ready", checks: { database: "ok", kv: "ok" } },
      });
    });
    await t.step("database down: 503 naming it; healthz still 200", async () => {
      const relay = server.database!.relay;
      relay.setRefusing(true);
      relay.cutConnections();
      const ready = await get("/readyz");
      assertEquals(ready.status, 503);
      assert(ready.body.checks.database !== "ok");
      assertEquals(ready.body.checks.kv, "ok");
      assertEquals((await get("/healthz")).status, 200);
      relay.setRefusing(false);
      assertEquals((await get("/readyz")).status, 200);
    });
    await t.step("KV down: 503 naming it", async () => {
      (await server.resources.kv.get()).close();
      await Deno.rename(join(kvDir, "kv"), join(kvDir, "kv.away"));
      const ready = await get("/readyz");
      assertEquals(ready.status, 503);
      assertEquals(ready.body.checks, { database: "ok", kv: "failed" });
      await Deno.rename(join(kvDir, "kv.away"), join(kvDir, "kv"));
      assertEquals((await get("/readyz")).status, 200);
    });
  } finally {
    await Deno.remove(kvDir, { recursive: true });
  }
});

Deno.test("one JSON log line per request, with tool and hashed sub, never secrets", async () => {
  await using server = await startTestServer();
  const token = await server.mint({ sub: "reader-secret-id", email: "private@example.com" });
  {
    await using chat = await openChat(server, "reader-secret-id");
    const { session } = await chat.begin();
    await chat.call("user_save_state", { session, patch: { diary: "very private words" } });
    await chat.call("domain_get_item", { session, id: "a9999" });
  }
  await server.logLine((l) => l.tool === "domain_get_item");
  const response = await fetch(
    `${server.config.publicUrl}/authorize?client_id=x&state=secret-state`,
    {
      headers: { authorization: `Bearer ${token}`, "x-request-id": "trace-123" },
    },
  );
  await response.body?.cancel();
  assertEquals(response.headers.get("x-request-id"), "trace-123");
  const last = await server.logLine((l) => l.requestId === "trace-123");
  assertEquals(server.logs.filter((l) => l.requestId === "trace-123").length, 1);

  const all = JSON.stringify(server.logs);
  for (
    const secret of [
      "reader-secret-id",
      "private@example.com",
      "very private",
      "secret-state",
      token.slice(-20),
    ]
  ) {
    assert(!all.includes(secret), `log contains ${secret}`);
  }
  const tools = server.logs.filter((l) => l.tool);
  assertEquals(tools.map((l) => [l.tool, l.toolError]), [
    ["begin_session", false],
    ["user_save_state", false],
    ["domain_get_item", true],
  ]);
  const hashes = new Set(tools.map((l) => l.subHash));
  assertEquals(hashes.size, 1);
  assert(/^[0-9a-f]{16}$/.test([...hashes][0] as string));
  for (const line of server.logs) {
    for (
      const field of ["time", "level", "msg", "requestId", "method", "path", "status", "durationMs"]
    ) {
      assert(field in line, `missing ${field} in ${JSON.stringify(line)}`);
    }
  }
  assertEquals([last.path, last.status], ["/authorize", 400]);
});
