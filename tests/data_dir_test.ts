import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { startTestServer } from "./helpers/server.ts";

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

/** Every file and directory under `dir`, with its permission bits. */
async function walk(dir: string): Promise<[string, number, boolean][]> {
  const found: [string, number, boolean][] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    found.push([path, await modeOf(path), entry.isDirectory]);
    if (entry.isDirectory) found.push(...await walk(path));
  }
  return found;
}

async function expectPrivate(dataDir: string) {
  assertEquals((await modeOf(dataDir)).toString(8), "700", "data directory");
  const entries = await walk(dataDir);
  const names = entries.map(([path]) => path.slice(dataDir.length + 1));
  for (const expected of ["kv.sqlite3", "dev-signing-key.json", "session-secret", "pglite"]) {
    assert(names.includes(expected), `${expected} missing from ${names.slice(0, 10)}`);
  }
  const open = entries.filter(([, mode, isDir]) =>
    (mode & 0o077) !== 0 || (!isDir && mode !== 0o600)
  );
  assertEquals(
    open.map(([path, mode]) => `${path.slice(dataDir.length + 1)} ${mode.toString(8)}`),
    [],
    "readable by others",
  );
}

Deno.test("the data directory is 0700 and everything in it 0600, from the start", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "reading-room-modes-" });
  try {
    await t.step("a fresh data directory", async () => {
      const dataDir = join(root, "fresh", "data");
      await using server = await startTestServer({ DATA_DIR: dataDir }, { database: "pglite" });
      // Sign-in state and sessions are written, so KV's journal files exist too.
      const token = await server.mint({ sub: "modes" });
      await (await server.post({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "begin_session", arguments: {} },
      }, { authorization: `Bearer ${token}`, "mcp-protocol-version": "2025-11-25" })).text();
      await expectPrivate(dataDir);
    });
    await t.step("a data directory an earlier version left readable is tightened", async () => {
      const dataDir = join(root, "legacy");
      await Deno.mkdir(join(dataDir, "pglite"), { recursive: true });
      await Deno.chmod(dataDir, 0o755);
      await Deno.chmod(join(dataDir, "pglite"), 0o755);
      await Deno.writeTextFile(join(dataDir, "session-secret"), "a".repeat(64), { mode: 0o644 });
      await Deno.chmod(join(dataDir, "session-secret"), 0o644);
      await using _server = await startTestServer({ DATA_DIR: dataDir }, { database: "pglite" });
      await expectPrivate(dataDir);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
