/**
 * PostgreSQL ending the server's connections under load (a backend killed, the cluster restarted)
 * is a failure the calls it hits answer, closed, through either driver; never an uncaught exception or an unhandled
 * rejection (the test runner fails on either), and the server goes on serving.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { OUTCOME_UNKNOWN_PREFIX } from "../../src/pack/reply.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { DRIVER_NAMES, POSTGRES_DRIVERS } from "../helpers/postgres.ts";
import { startTestServer } from "../helpers/server.ts";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";

for (const driver of POSTGRES_DRIVERS) {
  Deno.test(`backends killed under load (${DRIVER_NAMES[driver]}): calls fail closed or succeed, nothing is left uncaught`, async () => {
    await using server = await startTestServer({ MCP_MAX_OPEN_PER_PERSON: "64" }, { driver });
    assertEquals(
      server.config.database.kind === "postgres" && server.config.database.driver,
      driver,
    );
    const admin = server.database!.connect();
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      errors.push(args.map(String).join(" "));
      original(...args);
    };
    try {
      const chats = await Promise.all(
        Array.from({ length: 4 }, (_, i) => openChat(server, `fault-${i}-${crypto.randomUUID()}`)),
      );
      const sessions = await Promise.all(chats.map(async (chat) => (await chat.begin()).session));
      let running = true;
      const outcomes: { isError: boolean; text: string }[] = [];
      const load = chats.map(async (chat, i) => {
        for (let n = 0; running; n++) {
          const call = n % 2
            ? chat.call("user_save_state", { session: sessions[i], patch: { n } })
            : chat.call("domain_search", { session: sessions[i], query: "light" });
          outcomes.push(await call);
        }
      });
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      running = false;
      await Promise.all(load);
      // A save whose connection ended after it was sent may have committed: "not confirmed".
      for (const outcome of outcomes.filter((o) => o.isError)) {
        if (!outcome.text.startsWith(OUTCOME_UNKNOWN_PREFIX)) {
          assertStringIncludes(outcome.text, FAIL_CLOSED_SENTENCE);
        }
      }
      assert(outcomes.some((o) => !o.isError), "nothing succeeded");
      // Served again once the faults stop.
      const after = await chats[0].call("user_get_profile", { session: sessions[0] });
      assert(!after.isError, after.text);
      for (const chat of chats) await chat[Symbol.asyncDispose]();
    } finally {
      console.error = original;
      await admin.close();
    }
    const stray = errors.filter((line) => /uncaught|unhandled/i.test(line));
    assert(stray.length === 0, stray.join("\n"));
  });
}
