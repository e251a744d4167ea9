import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError, parseConfig } from "../src/config.ts";

Deno.test("config defaults need no environment at all", () => {
  const config = parseConfig({});
  assertEquals(config.port, 8000);
  assertEquals(config.bindHost, "127.0.0.1");
  assertEquals(config.publicUrl, "http://localhost:8000");
  assertEquals(config.resourceUrl, "http://localhost:8000/mcp");
  assertEquals(config.dataDir, ".data");
  assertEquals(config.auth, {
    kind: "development",
    issuer: "http://localhost:8000",
    jwksUrl: "http://localhost:8000/.well-known/jwks.json",
    accessTokenTtlSeconds: 3600,
    refreshTokenTtlSeconds: 30 * 24 * 3600,
    registrationsPerHour: 100,
    metadataDocumentHostAllowlist: [],
    warnOnPages: false,
  });
  assertEquals(config.kvPath, ".data/kv.sqlite3");
  assertEquals(config.onDeploy, false);
  assertEquals(config.requiredScopes, ["mcp"]);
});

Deno.test("config derives PUBLIC_URL from PORT and RESOURCE_URL from PUBLIC_URL", () => {
  assertEquals(parseConfig({ PORT: "9001" }).resourceUrl, "http://localhost:9001/mcp");
  const config = parseConfig({ PUBLIC_URL: "https://rr.example.com/" });
  assertEquals(config.publicUrl, "https://rr.example.com");
  assertEquals(config.resourceUrl, "https://rr.example.com/mcp");
  assertEquals(config.auth.issuer, "https://rr.example.com");
});

Deno.test("AUTH_ISSUER switches to an external issuer, kept verbatim", () => {
  const config = parseConfig({
    AUTH_ISSUER: "https://tenant.auth.example.com/",
    RESOURCE_URL: "https://rr.example.com/mcp",
  });
  assertEquals(config.auth, {
    kind: "external",
    issuer: "https://tenant.auth.example.com/",
    jwksUrl: undefined,
  });
  assertEquals(
    parseConfig({ AUTH_ISSUER: "https://i.example.com", AUTH_JWKS_URL: "https://i.example.com/k" })
      .auth.jwksUrl,
    "https://i.example.com/k",
  );
});

const SECRET = { SESSION_SIGNING_SECRET: "s".repeat(32) };

Deno.test("on Deno Deploy the development sign-in refuses to start unless asked for", () => {
  const error = assertThrows(() => parseConfig({ DENO_DEPLOY: "1", ...SECRET }), ConfigError);
  assertStringIncludes(error.message, "DEV_SIGNIN_ON_DEPLOY=1");
  const opted = parseConfig({ DENO_DEPLOY: "1", DEV_SIGNIN_ON_DEPLOY: "1", ...SECRET });
  assertEquals(opted.auth.kind === "development" && opted.auth.warnOnPages, true);
  assertEquals(opted.kvPath, undefined);
  const external = parseConfig({
    DENO_DEPLOY: "1",
    AUTH_ISSUER: "https://issuer.example.com",
    ...SECRET,
  });
  assertEquals(external.auth.kind, "external");
});

Deno.test("production requires a session signing secret", () => {
  for (const env of [{ APP_ENV: "production" }, { DENO_DEPLOY: "1", DEV_SIGNIN_ON_DEPLOY: "1" }]) {
    const error = assertThrows(() => parseConfig(env), ConfigError);
    assertStringIncludes(error.message, "SESSION_SIGNING_SECRET");
  }
  assertEquals(
    parseConfig({ APP_ENV: "production", ...SECRET }).session.signingSecret,
    "s".repeat(32),
  );
  assertEquals(parseConfig({}).session, { ttlSeconds: 1800, signingSecret: undefined });
});

Deno.test("DATABASE_URL switches the store to the Neon driver; PGlite otherwise", () => {
  assertEquals(parseConfig({}).database, { kind: "pglite", dir: ".data/pglite", timeoutMs: 5000 });
  assertEquals(
    parseConfig({ DATABASE_URL: "postgres://u@h/db", DATABASE_WS_PROXY: "127.0.0.1:9" }).database,
    { kind: "neon", url: "postgres://u@h/db", wsProxy: "127.0.0.1:9", timeoutMs: 5000 },
  );
});

Deno.test("a bad value stops start-up with a message naming the variable", async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ PUBLIC_URL: "not a url" }, "PUBLIC_URL"],
    [{ PUBLIC_URL: "ftp://example.com" }, "PUBLIC_URL"],
    [{ PUBLIC_URL: "https://example.com/base" }, "PUBLIC_URL"],
    [{ AUTH_ISSUER: "issuer" }, "AUTH_ISSUER"],
    [{ AUTH_JWKS_URL: "https://i.example.com/k" }, "AUTH_JWKS_URL"],
    [{ MAX_BODY_BYTES: "12" }, "MAX_BODY_BYTES"],
    [{ ACCESS_TOKEN_TTL: "5" }, "ACCESS_TOKEN_TTL"],
    [{ DEV_SIGNIN_ON_DEPLOY: "yes" }, "DEV_SIGNIN_ON_DEPLOY"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ SESSION_SIGNING_SECRET: "short" }, "SESSION_SIGNING_SECRET"],
    [{ DATABASE_WS_PROXY: "127.0.0.1:9" }, "DATABASE_WS_PROXY"],
  ];
  for (const [env, variable] of cases) {
    await t.step(`${variable}=${Object.values(env)[0]}`, () => {
      const error = assertThrows(() => parseConfig(env), ConfigError);
      assertStringIncludes(error.message, variable);
    });
  }
});

Deno.test("main.ts exits with the config message instead of a stack trace", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    env: { PORT: "eighty" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 1);
  const text = new TextDecoder().decode(stderr);
  assertStringIncludes(text, "PORT");
  assertEquals(text.includes("    at "), false);
});
