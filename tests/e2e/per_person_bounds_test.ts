/**
 * What one signed-in person can make the server hold: open requests are capped (exactly, under
 * 150-way parallelism), an expensive tool runs once at a time, an export comes in bounded parts, and
 * a batch's answer is bounded in messages and bytes.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { EXPORT_PART_BYTES } from "../../src/tools/kit/user/export.ts";
import { MAX_BATCH_ANSWER_BYTES } from "../../src/mcp/endpoint.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const V2025 = { "mcp-protocol-version": "2025-11-25" };

/** A `tools/call` message. */
function callMessage(id: number, name: string, args: Record<string, unknown>) {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

/**
 * Holds `sql` (a lock statement) in an open transaction on the server's own database until the
 * returned function is called; resolves once the lock is held.
 */
async function holdLock(server: TestServer, sql: string, params: unknown[] = []) {
  const held = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const done = server.resources.sql.transaction(async (tx) => {
    await tx.query(sql, params);
    held.resolve();
    await release.promise;
  });
  done.catch((error) => held.reject(error));
  await held.promise;
  return async () => {
    release.resolve();
    await done;
  };
}

/** Waits until `condition` holds (polling), failing after `ms`. */
async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("one person's open requests are capped exactly, and others are served meanwhile", async () => {
  await using server = await startTestServer({ STORE_TIMEOUT_MS: "15000" });
  const sub = `crowd-${crypto.randomUUID()}`;
  await using chat = await openChat(server, sub);
  const { session } = await chat.begin();
  const auth = { authorization: `Bearer ${await server.mint({ sub })}`, ...V2025 };
  // Every save queues on the person's state row while it is locked: the requests stay open.
  const unlock = await holdLock(server, "SELECT 1 FROM user_state WHERE user_id = $1 FOR UPDATE", [
    sub,
  ]);
  const statuses: number[] = [];
  const all = Array.from({ length: 150 }, async (_, i) => {
    const response = await server.post(
      callMessage(i, "user_save_state", { session, patch: { [`k${i}`]: i } }),
      auth,
    );
    statuses.push(response.status);
    if (response.status === 429) {
      assertEquals(response.headers.get("retry-after"), "1");
      assertStringIncludes((await response.json()).error.message, "at most 8 may be open");
    } else {
      const answer = await response.json();
      assert(answer.result?.isError !== true, JSON.stringify(answer));
    }
  });
  try {
    await eventually(() => statuses.length >= 142, 10_000, "142 refusals");
    assertEquals(statuses.filter((s) => s === 429).length, 142, "exactly 150 - 8 refused");
    await using bystander = await openChat(server, `bystander-${crypto.randomUUID()}`);
    const started = await bystander.begin();
    assert(!started.result.isError, "another person is served while the 8 wait");
  } finally {
    await unlock();
  }
  await Promise.all(all);
  assertEquals(statuses.filter((s) => s === 200).length, 8);
  const profile = await chat.call("user_get_profile", { session });
  assertEquals(Object.keys(profile.data.state.data).length, 8, "the 8 admitted saves all kept");
  // The slots are given back: the person can go on.
  const after = await chat.call("user_save_state", { session, patch: { after: true } });
  assert(!after.isError, after.text);
});

Deno.test("an expensive tool runs once at a time per person; a second is refused, not queued", async () => {
  await using server = await startTestServer({ STORE_TIMEOUT_MS: "15000" });
  const sub = `exporter-${crypto.randomUUID()}`;
  await using chat = await openChat(server, sub);
  const { session } = await chat.begin();
  await using other = await openChat(server, `exporter-other-${crypto.randomUUID()}`);
  const otherSession = (await other.begin()).session;
  // The export reads the history; with the table locked it waits there.
  const unlock = await holdLock(server, "LOCK TABLE user_history IN ACCESS EXCLUSIVE MODE");
  let first: Promise<{ isError: boolean; text: string }>;
  try {
    first = chat.call("user_export", { session });
    // Let the first call reach the lock before the second arrives.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await chat.call("user_export", { session });
    assertEquals(second.isError, true);
    assertStringIncludes(second.text, "Request refused, nothing was changed:");
    assertStringIncludes(second.text, "user_export is already running for this person");
    // Another person's export is theirs to run (it waits on the same lock, then succeeds).
    const othersExport = other.call("user_export", { session: otherSession });
    await unlock();
    assert(!(await othersExport).isError);
  } finally {
    await unlock();
  }
  const answered = await first!;
  assert(!answered.isError, answered.text);
  const again = await chat.call("user_export", { session });
  assert(!again.isError, "free again once the first has answered");
});

Deno.test("an export comes in bounded parts that add up to the whole history", async () => {
  await using server = await startTestServer({ HISTORY_MAX_BYTES: String(4 * 1024 * 1024) });
  const sub = `long-history-${crypto.randomUUID()}`;
  await using chat = await openChat(server, sub);
  const { session } = await chat.begin();
  // 30 saves of ≈ 60 KB each: ≈ 1.8 MB of recorded changes, more than three parts.
  for (let i = 0; i < 30; i++) {
    const saved = await chat.call("user_save_state", {
      session,
      patch: { blob: `${i}`.padEnd(60_000, "x") },
    });
    assert(!saved.isError, saved.text);
  }
  const ids: number[] = [];
  let cursor: number | undefined;
  let parts = 0;
  for (;;) {
    const part = await chat.call("user_export", cursor ? { session, cursor } : { session });
    assert(!part.isError, part.text);
    parts++;
    const doc = part.data.export;
    const bytes = JSON.stringify(part.data).length + part.text.length;
    assert(bytes < 3 * EXPORT_PART_BYTES, `part ${parts} is ${bytes} bytes`);
    assertEquals("profile" in doc, parts === 1, "the profile is in the first part only");
    ids.push(...doc.history.map((entry: { id: number }) => entry.id));
    if (doc.complete) {
      assertEquals(doc.nextCursor, undefined);
      break;
    }
    assertStringIncludes(part.text, `cursor ${doc.nextCursor}`);
    cursor = doc.nextCursor;
  }
  assert(parts >= 3, `${parts} parts`);
  assertEquals(ids.length, 30, "every change exactly once");
  assertEquals(new Set(ids).size, 30);
  assertEquals(ids, [...ids].sort((a, b) => b - a), "newest first across parts");
});

Deno.test("a batch of exports is bounded in bytes: calls past the bound are not run and say so", async () => {
  await using server = await startTestServer();
  const sub = `batch-export-${crypto.randomUUID()}`;
  await using chat = await openChat(server, sub);
  const { session } = await chat.begin();
  for (let i = 0; i < 12; i++) {
    await chat.call("user_save_state", { session, patch: { blob: `${i}`.padEnd(60_000, "y") } });
  }
  const auth = { authorization: `Bearer ${await server.mint({ sub })}`, ...V2025 };
  const batch = Array.from({ length: 20 }, (_, i) => callMessage(i, "user_export", { session }));
  const response = await server.post(batch, auth);
  const text = await response.text();
  assert(text.length < MAX_BATCH_ANSWER_BYTES + 3 * EXPORT_PART_BYTES, `${text.length} bytes`);
  const answers = JSON.parse(text) as {
    id: number;
    result?: unknown;
    error?: { message: string };
  }[];
  assertEquals(answers.length, 20, "every request answered");
  const skipped = answers.filter((a) => a.error);
  assert(skipped.length > 0, "some were past the bound");
  assertStringIncludes(skipped[0].error!.message, "was not run and changed nothing");
  // In a batch the calls run one after another, so none met another export still running.
  assertEquals(answers.filter((a) => a.result).length + skipped.length, 20);
});

Deno.test("a call left running by a client that hung up still counts against the person", async () => {
  await using server = await startTestServer({ STORE_TIMEOUT_MS: "15000" });
  const sub = `hangup-${crypto.randomUUID()}`;
  await using chat = await openChat(server, sub);
  const { session } = await chat.begin();
  const auth = { authorization: `Bearer ${await server.mint({ sub })}`, ...V2025 };
  const unlock = await holdLock(server, "SELECT 1 FROM user_state WHERE user_id = $1 FOR UPDATE", [
    sub,
  ]);
  try {
    // Twelve saves, each abandoned by its client once sent: their requests end, their work
    // (waiting on the row lock) does not.
    for (let i = 0; i < 12; i++) {
      const abandon = new AbortController();
      const sent = fetch(server.mcpUrl, {
        method: "POST",
        headers: {
          ...auth,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify(callMessage(i, "user_save_state", { session, patch: { i } })),
        signal: abandon.signal,
      }).then((r) => r.body?.cancel(), () => {});
      await new Promise((resolve) => setTimeout(resolve, 60));
      abandon.abort();
      await sent;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const response = await server.post(
      callMessage(99, "user_save_state", { session, patch: { late: true } }),
      auth,
    );
    const answer = response.status === 200 ? (await response.json()).result : undefined;
    // The hung-up requests gave their request slots back; their calls still hold the call count.
    assertEquals(response.status, 200);
    assertStringIncludes(answer?.content?.[0]?.text ?? "", "too many calls are running at once");
  } finally {
    await unlock();
  }
});

Deno.test("listen streams are counted apart: two per person, and calls still go through", async () => {
  await using server = await startTestServer();
  const sub = `listener-${crypto.randomUUID()}`;
  const token = await server.mint({ sub });
  const listen = (id: number) =>
    fetch(server.mcpUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "subscriptions/listen",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "subscriptions/listen",
        params: {
          notifications: { toolsListChanged: true },
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": { name: "listener", version: "1" },
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      }),
    });
  const streams = [await listen(1), await listen(2)];
  try {
    for (const stream of streams) assertEquals(stream.status, 200);
    const third = await listen(3);
    assertEquals(third.status, 429);
    await third.body?.cancel();
    // Ten calls one after another, and eight at once, still go through beside the two streams.
    const health = () =>
      server.post(callMessage(1, "health", {}), { authorization: `Bearer ${token}`, ...V2025 });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, health).map(async (r) => {
        const response = await r;
        await response.body?.cancel();
        return response.status;
      }),
    );
    assertEquals(statuses, Array(8).fill(200));
  } finally {
    for (const stream of streams) await stream.body?.cancel();
  }
  // A closed stream gives its place back.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const again = await listen(4);
  assertEquals(again.status, 200);
  await again.body?.cancel();
});
