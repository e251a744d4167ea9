/**
 * A body sent as many one-byte chunks costs its bytes, not a buffer per chunk. Measured on a
 * connector in its own process (its resident memory from /proc): in the test runner's process,
 * other test modules and the tests before it move the figure by hundreds of MB.
 *
 * @module
 */
import { assert, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../helpers/postgres.ts";
import { mintFor, postgresEnv, spawnConnector } from "../helpers/process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Resident memory of process `pid`, MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

Deno.test({
  name: "a body sent as many one-byte chunks costs its bytes, not a buffer per chunk",
  ignore: Deno.build.os !== "linux",
  fn: async (t) => {
    await using db = await createTestDatabase();
    const dataDir = await Deno.makeTempDir();
    try {
      await using app = await spawnConnector(
        ["run", "-A", "main.ts"],
        postgresEnv(db, dataDir),
        ROOT,
      );
      const port = Number(new URL(app.origin).port);
      const token = await mintFor(dataDir, "chunky");
      /** Sends `body` to `path` in one-byte chunks and returns the status line. */
      const inTinyChunks = async (path: string, headers: string, body: string) => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        const chunks = Array.from(body, (ch) => `1\r\n${ch}\r\n`).join("");
        await conn.write(new TextEncoder().encode(
          `POST ${path} HTTP/1.1\r\nHost: localhost:${port}\r\n${headers}` +
            `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`,
        ));
        const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
        return reply.split("\r\n")[0];
      };
      const grownBy = async (work: () => Promise<void>) => {
        const before = await rssMb(app.child.pid);
        await work();
        return (await rssMb(app.child.pid)) - before;
      };
      await t.step("20,000 chunks to /mcp", async () => {
        const body = JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "health", arguments: { pad: "x".repeat(19_900) } },
        });
        const mb = await grownBy(async () => {
          const status = await inTinyChunks(
            "/mcp",
            `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
              `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n`,
            body,
          );
          assertStringIncludes(status, "200");
        });
        // Keeping each chunk held on to ≈ 64 KiB apiece: ≈ 1.2 GB for this body.
        assert(mb < 200, `the server grew by ${mb.toFixed(0)} MB`);
      });
      await t.step("a registration of 60,000 chunks, before any sign-in", async () => {
        const body = JSON.stringify({
          redirect_uris: ["http://127.0.0.1:9/cb"],
          pad: "y".repeat(59_950),
        });
        const mb = await grownBy(async () => {
          assertStringIncludes(
            await inTinyChunks("/register", "Content-Type: application/json\r\n", body),
            "201",
          );
        });
        assert(mb < 200, `the server grew by ${mb.toFixed(0)} MB`);
      });
      await t.step("an unsigned /mcp body is not read at all", async () => {
        const status = await inTinyChunks("/mcp", "Content-Type: application/json\r\n", "{}");
        assertStringIncludes(status, "401");
      });
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
