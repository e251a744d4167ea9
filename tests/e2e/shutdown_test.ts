import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../helpers/postgres.ts";
import { mintFor, postgresEnv, spawnConnector } from "../helpers/process.ts";
import { INITIALIZE } from "../helpers/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Resolves once `condition` holds, checking on every macrotask turn, or rejects after `ms`. */
async function until(condition: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("SIGTERM: stop accepting, finish the request in flight, close the stores, exit 0", async () => {
  await using db = await createTestDatabase();
  const dataDir = await Deno.makeTempDir();
  try {
    await using app = await spawnConnector(["run", "-A", "main.ts"], {
      ...postgresEnv(db, dataDir),
      STORE_TIMEOUT_MS: "20000",
    }, ROOT);
    const token = await mintFor(dataDir, "sleeper");
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${app.origin}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...extra,
        },
        body: JSON.stringify(body),
      });
    assertEquals((await post(INITIALIZE)).status, 200);

    // Ready (the connection made at start is idle), then hold the database so a begin_session
    // is in flight when the signal arrives.
    const ready = await fetch(`${app.origin}/readyz`);
    await ready.body?.cancel();
    assertEquals(ready.status, 200);
    db.relay.setPaused(true);
    const received = db.relay.received;
    const inFlight = post(
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "begin_session", arguments: {} },
      },
      { "mcp-protocol-version": "2025-11-25" },
    ).then(async (r) => ({ status: r.status, text: await r.text() }));
    await until(() => db.relay.received > received, "the request to reach the database");

    app.child.kill("SIGTERM");
    await until(
      () => app.lines.some((l) => l.includes('"shutting down"')),
      "the shutdown log line",
    );
    // No new connections once shutting down.
    const refused = await fetch(`${app.origin}/healthz`).then(() => false, () => true);
    assert(refused, "accepted a new connection after SIGTERM");

    db.relay.setPaused(false);
    const finished = await inFlight;
    assertEquals(finished.status, 200);
    assert(finished.text.includes("Session started"), finished.text);
    const status = await app.child.status;
    assertEquals(status.code, 0);
    assert(app.lines.some((l) => l.includes('"msg":"stopped"')));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
