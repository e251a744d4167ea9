/**
 * Freeze under load: writes from many people while PostgreSQL stops answering past the store
 * deadline, then resumes. Every write's answer is recorded — acknowledged, reported failed ("did not
 * answer in time"), or not confirmed — and afterwards the database is read to find which writes
 * committed. Reported failed and committed must never overlap.
 *
 *     deno run -A --cert tests/fixtures/tls/ca.pem bench/freeze.ts [--people 20] [--rounds 4]
 *
 * Two kinds of freeze alternate: the relay holding every byte (the network stalls: nothing sent
 * reaches the database), and the database's own backends stopped with SIGSTOP (what was sent
 * reaches it and runs when it resumes). Writes: `user_save_state` (one key per write) on the
 * Reading Room, and `book` (one idempotency key per write) on the booking desk, each its own server.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bookingPack } from "../src/domains/booking/pack.ts";
import { OUTCOME_UNKNOWN_PREFIX } from "../src/pack/reply.ts";
import { openChat, type ReaderChat } from "../tests/helpers/mcp_client.ts";
import { startTestServer, type TestServer } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { people: { type: "string", default: "20" }, rounds: { type: "string", default: "4" } },
});
const PEOPLE = Number(values.people);
const ROUNDS = Number(values.rounds);
const DEADLINE_MS = 1_000;
const FREEZE_MS = 2_500;

type Said = "acknowledged" | "reported failed" | "not confirmed" | "refused";

function said(result: { isError: boolean; text: string }): Said {
  if (!result.isError) return "acknowledged";
  if (result.text.startsWith(OUTCOME_UNKNOWN_PREFIX)) return "not confirmed";
  if (result.text.startsWith("Request refused")) return "refused";
  return "reported failed";
}

/** Stops (or resumes) the PostgreSQL backends serving `server`'s database. */
async function signalBackends(server: TestServer, signal: "STOP" | "CONT"): Promise<number> {
  const admin = server.database!.connect();
  try {
    const rows = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    for (const { pid } of rows) {
      await new Deno.Command("kill", { args: [`-${signal}`, String(pid)] }).output();
    }
    return rows.length;
  } finally {
    await admin.close();
  }
}

interface Write {
  key: string;
  said: Said;
}

/** Runs the load and the freezes on one server; `write(chat, i, n)` makes one write and names it. */
async function run(
  label: string,
  server: TestServer,
  write: (chat: ReaderChat, session: string, person: number, n: number) => Promise<Write>,
  committed: (keys: string[]) => Promise<Set<string>>,
): Promise<void> {
  const chats = await Promise.all(
    Array.from(
      { length: PEOPLE },
      (_, i) => openChat(server, `${label}-${i}-${crypto.randomUUID()}`),
    ),
  );
  const sessions = await Promise.all(chats.map(async (c) => (await c.begin()).session));
  const writes: Write[] = [];
  let running = true;
  const load = chats.map(async (chat, i) => {
    for (let n = 0; running; n++) {
      try {
        writes.push(await write(chat, sessions[i], i, n));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  for (let round = 0; round < ROUNDS; round++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const how = round % 2 === 0 ? "relay" : "backends";
    if (how === "relay") server.database!.relay.setPaused(true);
    else await signalBackends(server, "STOP");
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
    if (how === "relay") server.database!.relay.setPaused(false);
    else await signalBackends(server, "CONT");
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  running = false;
  await Promise.all(load);
  // Whatever was held is delivered (or not) by now.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const found = await committed(writes.map((w) => w.key));
  const count = (s: Said) => writes.filter((w) => w.said === s);
  const failedButCommitted = count("reported failed").filter((w) => found.has(w.key));
  const acknowledgedButMissing = count("acknowledged").filter((w) => !found.has(w.key));
  const unknown = count("not confirmed");
  console.log(
    `${label}: ${writes.length} writes by ${PEOPLE} people over ${ROUNDS} freezes of ${FREEZE_MS} ms ` +
      `(deadline ${DEADLINE_MS} ms): ${count("acknowledged").length} acknowledged ` +
      `(${acknowledgedButMissing.length} of them missing), ${
        count("reported failed").length
      } reported failed ` +
      `(${failedButCommitted.length} of them committed), ${unknown.length} not confirmed ` +
      `(${unknown.filter((w) => found.has(w.key)).length} of them committed), ` +
      `${count("refused").length} refused`,
  );
  for (const chat of chats) await chat[Symbol.asyncDispose]();
}

{
  await using server = await startTestServer({
    STORE_TIMEOUT_MS: String(DEADLINE_MS),
    MCP_MAX_OPEN_PER_PERSON: "64",
  });
  await run(
    "saves",
    server,
    async (chat, session, person, n) => {
      const key = `p${person}n${n}`;
      const result = await chat.call("user_save_state", { session, patch: { [key]: true } });
      return { key, said: said(result) };
    },
    async () => {
      const rows = await server.resources.sql.query<{ state: Record<string, unknown> }>(
        "SELECT state FROM user_state",
      );
      return new Set(rows.flatMap((r) => Object.keys(r.state)));
    },
  );
}
{
  await using server = await startTestServer({
    DOMAIN: "booking",
    STORE_TIMEOUT_MS: String(DEADLINE_MS),
    MCP_MAX_OPEN_PER_PERSON: "64",
  });
  const base = bookingPack.tools.find((tool) => tool.name === "domain_book")!.example;
  const day = String(base.start).slice(0, 10);
  const resources = ["garden-room", "lantern-room", "practice-room", "court-a"];
  await run(
    "bookings",
    server,
    async (chat, session, person, n) => {
      // Half-hour bookings on the quarter hour, spread over the day and the spaces; a slot someone
      // else holds is refused (counted apart). Each booking acknowledged is cancelled at once, so
      // nobody reaches the limit of 20 upcoming reservations.
      const minute = ((person * 7 + n) * 15) % (11 * 60);
      const at = (m: number) =>
        `${day}T${String(9 + Math.floor(m / 60)).padStart(2, "0")}:${
          String(m % 60).padStart(2, "0")
        }`;
      const key = `freeze-${person}-${n}-${crypto.randomUUID().slice(0, 8)}`;
      const result = await chat.call("domain_book", {
        ...base,
        session,
        resource_id: resources[(person + n) % resources.length],
        start: at(minute),
        end: at(minute + 30),
        party_size: 2,
        idempotency_key: key,
      });
      const id = result.data?.reservation?.id;
      if (!result.isError && id) {
        await chat.call("domain_cancel", { session, reservation_id: id });
      }
      return { key, said: said(result) };
    },
    async () => {
      const rows = await server.resources.sql.query<{ idempotency_key: string }>(
        "SELECT idempotency_key FROM booking_reservations",
      );
      return new Set(rows.map((r) => r.idempotency_key));
    },
  );
}
