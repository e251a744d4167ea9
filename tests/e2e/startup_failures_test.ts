/**
 * A start that cannot succeed says why, in plain lines, and exits non-zero: the process a builder
 * or a supervisor runs (`main.ts`), not the function inside it.
 *
 * @module
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { baseEnv } from "../helpers/process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function start(env: Record<string, string>): Promise<{ code: number; text: string }> {
  const dataDir = await Deno.makeTempDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts"],
      cwd: ROOT,
      env: { ...baseEnv(), PORT: "0", DATA_DIR: dataDir, ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const { code, stdout, stderr } = await child.output();
    clearTimeout(timer);
    return { code, text: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** A production configuration whose database listens nowhere. */
const PRODUCTION = {
  APP_ENV: "production",
  PUBLIC_URL: "https://connector.example.com",
  AUTH_ISSUER: "https://issuer.example.com",
  SESSION_SIGNING_SECRET: "a-production-secret-of-at-least-32-chars",
  DATABASE_URL: "postgres://app@127.0.0.1:9/app",
  DATABASE_WS_PROXY: "127.0.0.1:9",
  STORE_TIMEOUT_MS: "500",
};

Deno.test("start-up failures say why and exit 1", async (t) => {
  const cases: [string, Record<string, string>, string[]][] = [
    ["a bad configuration value", { PORT: "eighty" }, [
      "Cannot start (invalid_configuration)",
      "PORT",
    ]],
    ["an unknown pack", { DOMAIN: "no_such_pack" }, [
      "Cannot start (unknown_pack)",
      "known packs: reading_room, booking",
    ]],
    ["a production database that cannot be reached", PRODUCTION, [
      "Cannot start (database_not_ready)",
      "Check DATABASE_URL",
    ]],
  ];
  for (const [label, env, says] of cases) {
    await t.step(label, async () => {
      const { code, text } = await start(env);
      assertEquals(code, 1, text);
      for (const words of says) assertStringIncludes(text, words);
      assertEquals(text.includes("listening on"), false, text);
    });
  }
});

Deno.test("a port another process holds stops the start, naming the port and what to do", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = holder.addr.port;
  try {
    const { code, text } = await start({ PORT: String(port) });
    assertEquals(code, 1, text);
    assertStringIncludes(text, "Cannot start (port_in_use)");
    assertStringIncludes(text, `Port ${port} on 127.0.0.1 is already in use`);
    assertStringIncludes(text, `PORT=${port + 1} deno task dev`);
    assertEquals(text.includes("AddrInUse"), false, text);
  } finally {
    holder.close();
  }
});
