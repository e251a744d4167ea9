/**
 * Several processes on one host share one KV file (the first step of scaling out): behind a
 * round-robin proxy, 100 people starting sessions at once are all served — contention between the
 * processes' KV commits is waited out within the deadline, never answered "unavailable" — and a
 * session begun on one process is accepted by the others.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { issueAccessToken } from "../../src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "../../src/signin/signing_key.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { postgresEnv, type ServerProcess, spawnConnector } from "../helpers/process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("three processes on one KV file: 100 people start sessions at once, none refused", async () => {
  await using db = await createTestDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "shared-kv-" });
  // The proxy's address is the public one every process names in its tokens and checks.
  const proxy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const publicUrl = `http://localhost:${(proxy.addr as Deno.NetAddr).port}`;
  proxy.close();
  const env = {
    ...postgresEnv(db, dataDir),
    PUBLIC_URL: publicUrl,
    SESSION_SIGNING_SECRET: "shared-kv-test-session-secret-0123456789",
    // One person's 80 starts at once below must reach the session-start count.
    MCP_MAX_OPEN_PER_PERSON: "100",
  };
  const processes: ServerProcess[] = [];
  let server: Deno.HttpServer | undefined;
  try {
    // The first creates the signing key the others then read.
    processes.push(await spawnConnector(["run", "-A", "main.ts"], env, ROOT));
    processes.push(
      ...await Promise.all([1, 2].map(() => spawnConnector(["run", "-A", "main.ts"], env, ROOT))),
    );
    let turn = 0;
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: Number(new URL(publicUrl).port),
      onListen: () => {},
    }, async (request) => {
      const target = processes[turn++ % processes.length].origin;
      const url = new URL(request.url);
      return await fetch(`${target}${url.pathname}`, {
        method: request.method,
        headers: request.headers,
        body: await request.arrayBuffer(),
      });
    });
    const key = await loadOrCreateSigningKey(dataDir);
    const token = (sub: string) =>
      issueAccessToken(key, {
        issuer: publicUrl,
        audience: `${publicUrl}/mcp`,
        sub,
        scope: "mcp",
        clientId: "shared-kv-test",
        ttlSeconds: 300,
      });
    const call = async (accessToken: string, name: string, args: Record<string, unknown>) => {
      const response = await fetch(`${publicUrl}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${accessToken}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name, arguments: args },
        }),
      });
      // deno-lint-ignore no-explicit-any
      return (await response.json()).result as any;
    };
    const people = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => ({ token: await token(`shared-${i}`) })),
    );
    const started = await Promise.all(people.map((p) => call(p.token, "begin_session", {})));
    const refused = started.filter((r) => r?.isError === true);
    assertEquals(refused.map((r) => r.content[0].text), [], `${refused.length} of 100 refused`);

    // Each session works on the other processes too (three calls: one per process, round robin).
    const checks = await Promise.all(
      started.slice(0, 10).flatMap((r, i) =>
        [0, 1, 2].map(() =>
          call(people[i].token, "user_get_profile", { session: r.structuredContent.session.token })
        )
      ),
    );
    assertEquals(checks.filter((r) => r?.isError === true).length, 0);

    // One person starting 80 sessions at once over the three processes: the per-person limit (60 a
    // minute) holds across them, and what it refuses is "too many", never "unavailable".
    const eager = await token("shared-eager");
    const starts = await Promise.all(
      Array.from({ length: 80 }, () => call(eager, "begin_session", {})),
    );
    const texts = starts.filter((r) => r?.isError === true).map((r) => r.content[0].text);
    assertEquals(
      starts.length - texts.length <= 60,
      true,
      `${starts.length - texts.length} started`,
    );
    assertEquals(texts.filter((t: string) => !t.includes("Too many sessions")), []);
  } finally {
    await server?.shutdown();
    for (const process of processes) await process[Symbol.asyncDispose]();
    await Deno.remove(dataDir, { recursive: true });
  }
});
