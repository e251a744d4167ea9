import { assertEquals, assertMatch } from "@std/assert";
import { startTestServer } from "../helpers/server.ts";

/** Sends one raw HTTP/1.1 request (fetch refuses to send most of these Host values). */
async function rawRequest(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n`));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(4096);
    const deadline = AbortSignal.timeout(5_000);
    while (!deadline.aborted) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

const MALFORMED_HOSTS = ["a:b", "127.0.0.1:99999", "localhost:1.evil.com", "a b", "[::1"];

Deno.test("a malformed Host header on any path is refused and the server keeps serving", async (t) => {
  await using server = await startTestServer();
  const port = server.config.port;
  for (const host of MALFORMED_HOSTS) {
    for (const path of ["/healthz", "/mcp", "/authorize?client_id=x", "/"]) {
      await t.step(`Host: ${host} on ${path}`, async () => {
        const method = path === "/mcp" ? "POST" : "GET";
        const answer = await rawRequest(
          port,
          `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0`,
        );
        // Either Deno's HTTP layer refuses it outright or we answer 400; never a crash.
        if (answer !== "") assertMatch(answer, /^HTTP\/1\.1 400 /);
        // A normal request right after it is still answered.
        const health = await fetch(`${server.localOrigin}/healthz`);
        assertEquals(health.status, 200);
        await health.body?.cancel();
      });
    }
  }
  // Give any deferred work (the request log runs after the response) a chance to blow up.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const health = await fetch(`${server.localOrigin}/healthz`);
  assertEquals(health.status, 200);
  await health.body?.cancel();
});
