import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../helpers/postgres.ts";
import { freePort, mintFor, postgresEnv, spawnConnector } from "../helpers/process.ts";
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

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
};

const BEGIN_SESSION = JSON.stringify({
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "begin_session", arguments: {} },
});

/** What became of one request: the answer it got, or why it got none. */
type Outcome = { status: number; retryAfter: string | null; body: string } | { dropped: string };

/** Whether `outcome` is an answer a client can act on: served, or 503 saying when to retry. */
function answered(outcome: Outcome): boolean {
  if ("dropped" in outcome) return false;
  return outcome.status === 200 || (outcome.status === 503 && outcome.retryAfter !== null);
}

function describe(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = "dropped" in o
      ? `dropped (${o.dropped})`
      : `${o.status}${o.retryAfter === null ? "" : " retry-after"} ${o.body.slice(0, 60)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join("; ");
}

Deno.test("SIGTERM: drain, stop accepting, finish the request in flight, close the stores, exit 0", async () => {
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
    let stoppedAccepting = false;
    const probing = (async () => {
      while (!stoppedAccepting) {
        stoppedAccepting = await fetch(`${app.origin}/healthz`).then(
          (r) => r.body?.cancel().then(() => false) ?? false,
          () => true,
        );
        await delay(20);
      }
    })();

    app.child.kill("SIGTERM");
    await until(
      () => app.lines.some((l) => l.includes('"shutting down"')),
      "the shutdown log line",
    );
    // A second signal changes nothing: the drain and the call in flight go on.
    app.child.kill("SIGINT");
    await until(
      () => app.lines.some((l) => l.includes('"already shutting down"')),
      "the second signal's line",
    );
    // The drain is over once nothing connects any more (the listener is closed).
    await until(() => stoppedAccepting, "the listener to close");

    db.relay.setPaused(false);
    const finished = await inFlight;
    assertEquals(finished.status, 200);
    assert(finished.text.includes("Session started"), finished.text);
    const status = await app.child.status;
    assertEquals(status.code, 0);
    assert(app.lines.some((l) => l.includes('"msg":"stopped"')));
    await probing;
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SIGTERM with calls in flight: every call is answered (served or 503 Retry-After), exit 0", async () => {
  const ROUNDS = 4;
  const PEOPLE = 20;
  await using db = await createTestDatabase();
  const dataDir = await Deno.makeTempDir();
  const port = freePort();
  const env = { ...postgresEnv(db, dataDir), PORT: String(port) };
  const clients = Array.from({ length: PEOPLE }, () => Deno.createHttpClient({}));
  try {
    const tokens: string[] = [];
    const summary: string[] = [];
    let ok = true;
    for (let round = 1; round <= ROUNDS; round++) {
      await using app = await spawnConnector(["run", "-A", "main.ts"], env, ROOT);
      if (tokens.length === 0) {
        // Distinct people, each minted the way a builder mints (after the first start recorded
        // the issuer; the origin stays the same for every round).
        for (let i = 0; i < PEOPLE; i += 5) {
          tokens.push(
            ...await Promise.all(
              Array.from({ length: 5 }, (_, j) => mintFor(dataDir, `person-${i + j}`)),
            ),
          );
        }
      }
      const call = async (person: number, body: string): Promise<Outcome> => {
        try {
          const response = await fetch(`${app.origin}/mcp`, {
            method: "POST",
            client: clients[person],
            headers: { ...MCP_HEADERS, authorization: `Bearer ${tokens[person]}` },
            body,
          });
          const text = await response.text();
          return {
            status: response.status,
            retryAfter: response.headers.get("retry-after"),
            body: text,
          };
        } catch (error) {
          return {
            dropped: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          };
        }
      };
      // Each person's client holds a kept-alive connection, as a host does between calls.
      const warm = await Promise.all(tokens.map((_, i) => call(i, JSON.stringify(INITIALIZE))));
      assert(warm.every((o) => "status" in o && o.status === 200), describe(warm));

      // The calls leave 3–25 ms before the signal.
      const started = performance.now();
      const calls = tokens.map((_, i) =>
        delay((i * 22) / (PEOPLE - 1)).then(() => call(i, BEGIN_SESSION))
      );
      await delay(Math.max(0, 25 - (performance.now() - started)));
      app.child.kill("SIGTERM");
      const outcomes = await Promise.all(calls);
      const status = await app.child.status;
      const served = outcomes.filter((o) => "status" in o && o.status === 200);
      summary.push(
        `round ${round}: ${outcomes.filter(answered).length}/${PEOPLE} answered ` +
          `(${describe(outcomes)}); exit ${status.code}`,
      );
      ok &&= outcomes.every(answered) && status.code === 0 &&
        served.every((o) => "body" in o && o.body.includes("Session started"));
    }
    // Every round is run before judging, so a failure shows what each round got.
    assert(ok, summary.join("\n"));
  } finally {
    clients.forEach((c) => c.close());
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** Writes a POST to `/mcp` by hand: headers and `sent` of the body; the rest is the caller's. */
async function halfSentCall(
  origin: string,
  token: string,
  body: string,
  sent: number,
): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(origin);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const bytes = new TextEncoder().encode(body);
  const head = `POST /mcp HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n` +
    `Content-Length: ${bytes.length}\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head));
  await conn.write(bytes.subarray(0, sent));
  return conn;
}

/** Reads what the server writes on `conn` until it closes it (or `ms` pass). */
async function readAll(conn: Deno.TcpConn, ms = 10_000): Promise<string> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16 * 1024);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(decoder.decode(buffer.subarray(0, n), { stream: true }));
      // One answer is all that is asked for: a complete one ends with its body.
      const text = chunks.join("");
      const head = text.indexOf("\r\n\r\n");
      const length = /content-length:\s*(\d+)/i.exec(text)?.[1];
      if (head !== -1 && length && text.length >= head + 4 + Number(length)) break;
    }
  } catch {
    // Closed by the timer, or reset by the server: what arrived is the answer.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  return chunks.join("");
}

Deno.test("SIGTERM: a body still arriving is served during the drain; one that stalls gets 503, never 400", async (t) => {
  await using db = await createTestDatabase();
  const dataDir = await Deno.makeTempDir();
  try {
    await using app = await spawnConnector(
      ["run", "-A", "main.ts"],
      postgresEnv(db, dataDir),
      ROOT,
    );
    const token = await mintFor(dataDir, "slow-sender");
    const stalled = await halfSentCall(app.origin, token, BEGIN_SESSION, 20);
    const finishing = await halfSentCall(app.origin, token, BEGIN_SESSION, 20);
    const stalledAnswer = readAll(stalled);
    const finishedAnswer = readAll(finishing);
    // Both bodies have reached the server's reader before the signal.
    await delay(100);

    app.child.kill("SIGTERM");
    await until(() => app.lines.some((l) => l.includes('"shutting down"')), "the shutdown line");

    await t.step("readiness says draining at once; new requests are still served", async () => {
      const ready = await fetch(`${app.origin}/readyz`);
      assertEquals(ready.status, 503);
      assertEquals((await ready.json()).status, "draining");
      const health = await fetch(`${app.origin}/healthz`);
      assertEquals(health.status, 200);
      await health.body?.cancel();
    });

    await t.step("the rest of a body sent during the drain: the call is served", async () => {
      await finishing.write(new TextEncoder().encode(BEGIN_SESSION).subarray(20));
      const text = await finishedAnswer;
      assert(text.startsWith("HTTP/1.1 200"), text);
      assert(text.includes("Session started"), text);
    });

    await t.step(
      "a body that never ends: 503 with Retry-After when the drain is over",
      async () => {
        const text = await stalledAnswer;
        assert(text.startsWith("HTTP/1.1 503"), text || "(no answer: the connection was dropped)");
        assert(/^retry-after: \d+/im.test(text), text);
      },
    );

    await t.step("then the listener is closed, and the process exits 0", async () => {
      assertEquals((await app.child.status).code, 0);
      const refused = await fetch(`${app.origin}/healthz`).then(() => false, () => true);
      assert(refused, "accepted a connection after it stopped");
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
