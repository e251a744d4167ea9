/**
 * A KV file deleted (or replaced) under a running server is noticed: the server reopens at the
 * path instead of writing into the deleted file, and `/readyz` and `health` report it for a minute
 * — as information: readiness says whether the instance can serve, and it can.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { openChat } from "../helpers/mcp_client.ts";
import { startTestServer } from "../helpers/server.ts";

Deno.test("a deleted KV file is noticed, reported and reopened", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kv-identity-" });
  const kvPath = `${dir}/kv.sqlite3`;
  try {
    await using server = await startTestServer({ KV_PATH: kvPath });
    await using chat = await openChat(server, `kv-file-${crypto.randomUUID()}`);
    const { session } = await chat.begin();
    assertEquals((await fetch(`${server.localOrigin}/readyz`)).status, 200);

    for await (const entry of Deno.readDir(dir)) await Deno.remove(`${dir}/${entry.name}`);

    const ready = await fetch(`${server.localOrigin}/readyz`);
    const body = await ready.json();
    // Reopened and answering: ready, with the loss reported beside the checks.
    assertEquals(ready.status, 200, JSON.stringify(body));
    assertEquals(body.status, "ready");
    assertEquals(body.checks.kv, "ok");
    assert(Date.parse(body.kvReplacedAt) > Date.now() - 60_000, JSON.stringify(body));
    const health = await chat.call("health");
    assertEquals(health.data.status, "ok", health.text);
    assert(typeof health.data.sessionsReplacedAt === "string", health.text);
    assert(health.text.includes("lost its file just now"), health.text);

    // Sessions written before are gone with the file; the model is told so, not served a ghost.
    const old = await chat.call("user_get_profile", { session });
    assert(old.isError, old.text);
    const fresh = await chat.begin();
    assert(!fresh.result.isError);
    // Written into a file at the path, where another process on it would see it too.
    assert((await Deno.stat(kvPath)).isFile, "no KV file at the path");
    const reopened = await Deno.openKv(kvPath);
    let sessions = 0;
    for await (const _ of reopened.list({ prefix: ["session"] })) sessions++;
    reopened.close();
    assertEquals(sessions, 1, "the new session is in the file at the path");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
