import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError, ENV_VARIABLES, parseConfig } from "./config.ts";

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
    accessTokenTtlSeconds: 24 * 3600,
    refreshTokenTtlSeconds: 30 * 24 * 3600,
    registrationsPerHour: 100,
    metadataDocumentHostAllowlist: [],
    warnOnPages: false,
  });
  assertEquals(config.kvPath, ".data/kv.sqlite3");
  assertEquals(config.onDeploy, false);
  assertEquals(config.production, false);
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

const PRODUCTION = {
  SESSION_SIGNING_SECRET: "s".repeat(32),
  DATABASE_URL: "postgres://reader@db.example.com/rr",
  PUBLIC_URL: "https://rr.example.com",
  AUTH_ISSUER: "https://issuer.example.com/",
};

Deno.test("a complete production environment is accepted", () => {
  for (const marker of [{ DENO_DEPLOY: "1" }, { APP_ENV: "production" }]) {
    const config = parseConfig({ ...PRODUCTION, ...marker });
    assertEquals(config.production, true);
    assertEquals(config.auth.kind, "external");
    assertEquals(config.database.kind, "postgres");
  }
  assertEquals(parseConfig({ ...PRODUCTION, DENO_DEPLOY: "1" }).kvPath, undefined);
  assertEquals(parseConfig({ ...PRODUCTION, APP_ENV: "production" }).kvPath, ".data/kv.sqlite3");
});

Deno.test("production refuses to start with one clear line per problem, never echoing a secret", async (t) => {
  const cases: [string, Record<string, string | undefined>, string][] = [
    ["secret missing", { SESSION_SIGNING_SECRET: undefined }, "SESSION_SIGNING_SECRET: required"],
    [
      "secret short",
      { SESSION_SIGNING_SECRET: "hunter2-short" },
      "SESSION_SIGNING_SECRET: must be at least 32",
    ],
    ["no DATABASE_URL", { DATABASE_URL: undefined }, "DATABASE_URL: required in production"],
    [
      "PUBLIC_URL unset",
      { PUBLIC_URL: undefined },
      "PUBLIC_URL: must be set to the public https://",
    ],
    [
      "PUBLIC_URL http",
      { PUBLIC_URL: "http://rr.example.com" },
      "PUBLIC_URL: must be set to the public https://",
    ],
    ["dev sign-in without its switch", { AUTH_ISSUER: undefined }, "DEV_SIGNIN_ON_DEPLOY=1"],
    [
      "http issuer",
      { AUTH_ISSUER: "http://issuer.example.com" },
      "AUTH_ISSUER: must be an https://",
    ],
  ];
  for (const [label, change, expected] of cases) {
    await t.step(label, () => {
      for (const marker of [{ DENO_DEPLOY: "1" }, { APP_ENV: "production" }]) {
        const error = assertThrows(
          () => parseConfig({ ...PRODUCTION, ...marker, ...change }),
          ConfigError,
        );
        assertStringIncludes(error.message, expected);
        assertEquals(error.message.includes("hunter2"), false);
        assertEquals(error.message.split("\n").length, 2, error.message);
      }
    });
  }
  await t.step("everything wrong at once: every problem listed", () => {
    const error = assertThrows(() => parseConfig({ APP_ENV: "production" }), ConfigError);
    for (
      const variable of ["SESSION_SIGNING_SECRET", "DATABASE_URL", "PUBLIC_URL", "AUTH_ISSUER"]
    ) {
      assertStringIncludes(error.message, variable);
    }
  });
  await t.step(
    "the development sign-in may run in production when switched on, with page warnings",
    () => {
      const config = parseConfig({
        ...PRODUCTION,
        AUTH_ISSUER: undefined,
        DENO_DEPLOY: "1",
        DEV_SIGNIN_ON_DEPLOY: "1",
      });
      assertEquals(config.auth.kind === "development" && config.auth.warnOnPages, true);
    },
  );
  await t.step("development needs none of it", () => {
    assertEquals(parseConfig({}).session, {
      ttlSeconds: 1800,
      startsPerMinute: 60,
      signingSecret: undefined,
    });
    assertEquals(parseConfig({}).production, false);
  });
});

Deno.test("DATABASE_URL switches the store to PostgreSQL; PGlite otherwise", () => {
  assertEquals(parseConfig({}).database, { kind: "pglite", dir: ".data/pglite", timeoutMs: 5000 });
  assertEquals(
    parseConfig({ DATABASE_URL: "postgres://u@h/db", DATABASE_WS_PROXY: "127.0.0.1:9" }).database,
    {
      kind: "postgres",
      driver: "neon",
      url: "postgres://u@h/db",
      wsProxy: "127.0.0.1:9",
      timeoutMs: 5000,
      preparedStatements: true,
    },
  );
  assertEquals(parseConfig({ DATABASE_URL: "postgres://u@h/db" }).database, {
    kind: "postgres",
    driver: "tcp",
    url: "postgres://u@h/db",
    timeoutMs: 5000,
    preparedStatements: true,
  });
});

Deno.test("DATABASE_PREPARED_STATEMENTS=0 turns named prepared statements off; other values are refused", () => {
  const database = parseConfig({
    DATABASE_URL: "postgres://u@h/db",
    DATABASE_PREPARED_STATEMENTS: "0",
  }).database;
  assertEquals(database.kind === "postgres" && database.preparedStatements, false);
  assertThrows(
    () => parseConfig({ DATABASE_URL: "postgres://u@h/db", DATABASE_PREPARED_STATEMENTS: "no" }),
    Error,
    "DATABASE_PREPARED_STATEMENTS",
  );
});

Deno.test("DATABASE_DRIVER: tcp for plain PostgreSQL, neon for Neon's hosts and a relay, unless set", async (t) => {
  const driver = (env: Record<string, string>) => {
    const { database } = parseConfig(env);
    return database.kind === "postgres" ? database.driver : database.kind;
  };
  const NEON_URL =
    "postgres://u:p@ep-quiet-1234-pooler.eu-central-1.aws.neon.tech/db?sslmode=require";
  await t.step("unset: decided by the URL's host and the relay", () => {
    for (
      const [url, expected] of [
        ["postgres://postgres@127.0.0.1:5432/app", "tcp"],
        ["postgresql://u:p@localhost/app", "tcp"],
        ["postgres://u:p@db.abcdefgh.supabase.co:5432/postgres", "tcp"],
        ["postgres://u:p@app.cluster-x.eu-west-1.rds.amazonaws.com/app?sslmode=require", "tcp"],
        [NEON_URL, "neon"],
        ["postgres://u:p@EP-LOUD-1.US-EAST-2.AWS.NEON.TECH/db", "neon"],
        // The host is what counts, not a user or a database named like Neon's.
        ["postgres://x.neon.tech:p@db.example.com/neon.tech", "tcp"],
        ["postgres://u@neon.tech.example.com/db", "tcp"],
        ["postgres://u:p@[::1]:5432/app", "tcp"],
      ]
    ) assertEquals(driver({ DATABASE_URL: url }), expected, url);
    assertEquals(
      driver({ DATABASE_URL: "postgres://u@127.0.0.1/db", DATABASE_WS_PROXY: "127.0.0.1:9" }),
      "neon",
    );
  });
  await t.step("set: taken as it is, either way", () => {
    assertEquals(driver({ DATABASE_URL: NEON_URL, DATABASE_DRIVER: "tcp" }), "tcp");
    assertEquals(driver({ DATABASE_URL: "postgres://u@h/db", DATABASE_DRIVER: "neon" }), "neon");
    assertEquals(
      driver({
        DATABASE_URL: "postgres://u@h/db",
        DATABASE_DRIVER: "neon",
        DATABASE_WS_PROXY: "127.0.0.1:9",
      }),
      "neon",
    );
  });
  await t.step("a wrong value, or one that cannot apply, stops the start naming it", () => {
    const problem = (env: Record<string, string>) =>
      assertThrows(() => parseConfig(env), ConfigError).message;
    const wrong = problem({ DATABASE_URL: "postgres://u@h/db", DATABASE_DRIVER: "websocket" });
    assertStringIncludes(wrong, "DATABASE_DRIVER: must be tcp (PostgreSQL over TCP) or neon");
    assertStringIncludes(
      problem({
        DATABASE_URL: "postgres://u@h/db",
        DATABASE_DRIVER: "tcp",
        DATABASE_WS_PROXY: "h:9",
      }),
      "DATABASE_WS_PROXY: only used by DATABASE_DRIVER=neon",
    );
    assertStringIncludes(
      problem({ DATABASE_DRIVER: "tcp" }),
      "DATABASE_DRIVER: only meaningful together with DATABASE_URL",
    );
  });
  await t.step("a URL the drivers cannot read stops the start, without quoting it", () => {
    for (
      const url of [
        "postgres://u:hunter2@[::1/db",
        "postgres://u:hunter2@host:port/db",
        "postgres://u:hun#ter2@h/db?x",
      ]
    ) {
      const message = assertThrows(() => parseConfig({ DATABASE_URL: url }), ConfigError).message;
      assertStringIncludes(message, "DATABASE_URL: not a URL the PostgreSQL drivers can read");
      assertEquals(message.includes("hunter2") || message.includes("hun#"), false, message);
    }
    // What the drivers read themselves (a space, a stray %, no host) is let through to them.
    for (const url of ["postgres://u:a b@h/db", "postgres://u:50%@h/db", "postgres://u@/db"]) {
      assertEquals(parseConfig({ DATABASE_URL: url }).database.kind, "postgres", url);
    }
  });
  await t.step("the URL, password included, is never in a problem", () => {
    const env = {
      DATABASE_URL: "postgres://u:hunter2-secret@h/db",
      DATABASE_DRIVER: "tcp",
      DATABASE_WS_PROXY: "h:9",
      PORT: "eighty",
    };
    const message = assertThrows(() => parseConfig(env), ConfigError).message;
    assertEquals(message.includes("hunter2"), false, message);
  });
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
    [{ DATABASE_URL: "postgres://u@h/db", DATABASE_DRIVER: "pg" }, "DATABASE_DRIVER"],
    [{ AUTH_REQUEST_SCOPES: "openid offline_access" }, "AUTH_REQUEST_SCOPES"],
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

Deno.test(".env.example and the README document every variable the server reads", async () => {
  const example = await Deno.readTextFile(new URL("../.env.example", import.meta.url));
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const name of ENV_VARIABLES) {
    if (name === "DENO_DEPLOY") continue; // set by the platform
    assertStringIncludes(example, `\n${name}=`, `.env.example lacks ${name}`);
    assertStringIncludes(readme, `\`${name}\``, `README lacks ${name}`);
  }
});
