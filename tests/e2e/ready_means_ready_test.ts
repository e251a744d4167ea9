/**
 * Ready means ready: whatever a newcomer or a script does the moment `/healthz` first answers 200
 * — mint a token, start a session — works, on a fresh data directory (the embedded database is
 * created then) and on a restart of the same directory at another port (the issuer it records
 * changes with it) — and no 200 at all while the schema cannot be prepared yet.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../helpers/postgres.ts";
import { baseEnv, freePort, mintFor, postgresEnv } from "../helpers/process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Polls `/healthz` as a script would, and resolves at its first 200. */
async function firstOk(origin: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const status = await fetch(`${origin}/healthz`).then(
      async (r) => (await r.body?.cancel(), r.status),
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${origin}/healthz never answered 200`);
}

async function beginSession(origin: string, token: string) {
  const response = await fetch(`${origin}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "begin_session", arguments: {} },
    }),
  });
  return { status: response.status, text: await response.text() };
}

Deno.test("at the first 200 of /healthz, a minted token opens a session: fresh directory, then a restart on another port", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "ready-" });
  try {
    for (const round of ["a fresh data directory", "a restart at another port"]) {
      await t.step(round, async () => {
        const port = freePort();
        const origin = `http://127.0.0.1:${port}`;
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "main.ts"],
          cwd: ROOT,
          env: { ...baseEnv(), PORT: String(port), DATA_DIR: dataDir },
          clearEnv: true,
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          await firstOk(origin);
          const token = await mintFor(dataDir, `ready-${port}`);
          const started = performance.now();
          const { status, text } = await beginSession(origin, token);
          const ms = Math.round(performance.now() - started);
          assertEquals(status, 200, text);
          assert(text.includes("Session started"), text);
          // Nothing left to prepare: the call does not wait on start-up work.
          assert(ms < 2_000, `begin_session took ${ms} ms after the first 200`);
        } finally {
          child.kill("SIGKILL");
          await child.status;
        }
      });
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a database that does not answer at start: no 200 until the schema is in place, then everything works", async () => {
  await using db = await createTestDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "ready-pg-" });
  const port = freePort();
  const origin = `http://127.0.0.1:${port}`;
  db.relay.setPaused(true);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: { ...postgresEnv(db, dataDir), PORT: String(port) },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // Listening, everything else ready, the schema waiting on the database: not ready yet.
    const statuses = new Set<number>();
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      statuses.add(
        await fetch(`${origin}/healthz`).then(
          async (r) => (await r.body?.cancel(), r.status),
          () => 0,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert(statuses.has(503), `never seen starting up: ${[...statuses]}`);
    assert(!statuses.has(200), "/healthz answered 200 before the schema was prepared");
    db.relay.setPaused(false);
    await firstOk(origin);
    const { status, text } = await beginSession(origin, await mintFor(dataDir, "after-wait"));
    assertEquals(status, 200, text);
    assert(text.includes("Session started"), text);
  } finally {
    db.relay.setPaused(false);
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dataDir, { recursive: true });
  }
});
