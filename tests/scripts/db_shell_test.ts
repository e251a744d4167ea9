/**
 * `deno task db:shell`: the embedded database's tables, as a builder looks at them, and never
 * opened by two processes at once (PGlite has no lock of its own).
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { StartupError } from "../../src/errors.ts";
import { baseEnv } from "../helpers/process.ts";
import { startTestServer } from "../helpers/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function shell(env: Record<string, string>, args: string[], stdin: "null" | "piped"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "db:shell", ...args],
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    clearEnv: true,
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

async function runShell(
  env: Record<string, string>,
  args: string[] = [],
  input?: string,
): Promise<{ code: number; out: string; text: string }> {
  const child = shell(env, args, input === undefined ? "null" : "piped").spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const out = new TextDecoder().decode(stdout);
  return { code, out, text: out + new TextDecoder().decode(stderr) };
}

Deno.test("deno task db:shell shows the embedded database, never beside a server", async (t) => {
  const dataDir = await Deno.makeTempDir();
  const env = { DATA_DIR: dataDir };
  try {
    await t.step("before the first start, and with PostgreSQL: says what to do", async () => {
      const none = await runShell(env, ["-c", "SELECT 1;"]);
      assertEquals(none.code, 1, none.text);
      assertStringIncludes(none.text, "start the server once");
      const postgres = await runShell({ ...env, DATABASE_URL: "postgres://app@127.0.0.1:9/app" });
      assertEquals(postgres.code, 1, postgres.text);
      assertStringIncludes(postgres.text, 'psql "$DATABASE_URL"');
    });

    await t.step("while the server has the database open: refused, naming it", async () => {
      await using _server = await startTestServer(env, { database: "pglite" });
      const refused = await runShell(env, ["-c", "SELECT 1;"]);
      assertEquals(refused.code, 1, refused.text);
      assertStringIncludes(refused.text, "open in another process (the development server");
    });

    await t.step("the tables, a table's columns, rows, and an error", async () => {
      const { code, out } = await runShell(
        env,
        [],
        "\\dt\n\\d reading_room_articles\nSELECT id, title, published\n" +
          "  FROM reading_room_articles WHERE id = 'a1';\nSELECT nope;\n\\q\nSELECT 'after quit';\n",
      );
      assertEquals(code, 1, "a failed statement makes a piped run exit 1");
      assertStringIncludes(out, " table                 | rows\n");
      assertStringIncludes(out, " reading_room_articles | ");
      assertStringIncludes(out, " users                 | 0\n");
      assertStringIncludes(out, " published | date     | YES      | NULL\n");
      assertStringIncludes(
        out,
        " a1 | Why the Moon Always Shows Us the Same Face | 2021-03-14\n(1 row)",
      );
      assertStringIncludes(out, 'ERROR: column "nope" does not exist');
      assert(!out.includes("after quit"), out);
    });

    await t.step("-c runs one command", async () => {
      const { code, out, text } = await runShell(env, [
        "-c",
        "SELECT count(*)::int AS n FROM users",
      ]);
      assertEquals(code, 0, text);
      assertEquals(out, " n\n---\n 0\n(1 row)\n");
    });

    await t.step("while a shell is open, the server does not start", async () => {
      const child = shell(env, [], "piped").spawn();
      const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!said.includes("\\q quits")) {
        const { value, done } = await stderr.read();
        if (done) break;
        said += value;
      }
      try {
        const error = await assertRejects(() => startTestServer(env, { database: "pglite" }));
        assert(error instanceof StartupError, String(error));
        assertEquals(error.code, "database_in_use");
        assertStringIncludes(error.message, "deno task db:shell");
      } finally {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode("\\q\n"));
        await writer.close();
        await stderr.cancel();
        await child.stdout.cancel();
        assertEquals((await child.status).code, 0);
      }
      // The shell let go: the server starts again.
      await using _server = await startTestServer(env, { database: "pglite" });
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
