import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { SqlClient } from "../../src/store/types.ts";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { startTestServer } from "../helpers/server.ts";

const DEADLINE_MS = 1_000;

/** Resolves with "stuck" if `call` has not settled after `ms`; the timer is always cleared. */
async function stuckAfter(call: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      call.then(() => false, () => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends 20,000-deep patches straight to the embedded database until one does not come back
 * (PGlite's stack guard fails on one, a later statement spins). Returns that stuck call, boxed so
 * that awaiting this does not wait for it.
 */
async function wedge(sql: SqlClient): Promise<{ stuck: Promise<unknown> }> {
  const deep = '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000);
  for (let attempt = 0; attempt < 4; attempt++) {
    const call = sql.query(
      "SELECT outcome FROM core_save_state($1, $2::jsonb, NULL, $3)",
      [
        "wedge-probe",
        deep,
        100_000_000,
      ],
    );
    call.catch(() => {});
    if (await stuckAfter(call, 200)) return { stuck: call };
  }
  throw new Error("the embedded database did not wedge");
}

Deno.test("embedded store wedged by deep JSON: the server keeps answering, tools fail closed by the deadline, then recover", async () => {
  await using server = await startTestServer({ STORE_TIMEOUT_MS: String(DEADLINE_MS) }, {
    database: "pglite",
  });
  // Ready first: on a loaded machine the first preparation of a fresh embedded database (schema,
  // content) can take longer than this test's short deadline.
  for (const until = performance.now() + 30_000;;) {
    const ready = await fetch(`${server.localOrigin}/readyz`);
    await ready.body?.cancel();
    if (ready.status === 200) break;
    assert(performance.now() < until, "the embedded database never became ready");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await using chat = await openChat(server, "wedge");
  const { session } = await chat.begin();
  assert(!(await chat.call("user_get_profile", { session })).isError);

  const { stuck } = await wedge(server.resources.sql);

  // The process itself is not blocked: liveness answers at once.
  let started = performance.now();
  const health = await fetch(`${server.localOrigin}/healthz`);
  assertEquals(health.status, 200);
  await health.body?.cancel();
  const healthMs = performance.now() - started;
  assert(healthMs < 500, `/healthz took ${healthMs} ms during the wedge`);

  // A tool that needs the store fails closed, by the deadline.
  started = performance.now();
  const during = await chat.call("user_get_profile", { session });
  const duringMs = performance.now() - started;
  assert(during.isError, `answered during the wedge: ${during.text}`);
  assertStringIncludes(during.text, FAIL_CLOSED_SENTENCE);
  assertEquals(during.data, undefined);
  assert(duringMs < DEADLINE_MS + 2_000, `failed closed only after ${duringMs} ms`);

  // The stuck statement itself was failed by its deadline, not left hanging.
  assert(await stuck.then(() => false, () => true), "the wedged statement resolved");

  // A fresh worker reopens the database (seconds); calls meanwhile fail closed by the deadline,
  // and once it is open the same tool works again, with the reader's data.
  const reopenBy = performance.now() + 30_000;
  for (;;) {
    started = performance.now();
    const after = await chat.call("user_get_profile", { session });
    const afterMs = performance.now() - started;
    assert(afterMs < DEADLINE_MS + 2_000, `an answer during the reopen took ${afterMs} ms`);
    if (!after.isError) {
      assertEquals(after.data.profile.id, "wedge");
      break;
    }
    assertStringIncludes(after.text, FAIL_CLOSED_SENTENCE);
    assert(performance.now() < reopenBy, `did not recover: ${after.text}`);
  }
});
