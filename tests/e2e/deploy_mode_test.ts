import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { fileURLToPath } from "node:url";
import { startFakeIssuer } from "../helpers/fake_issuer.ts";
import { createTestDatabase, DRIVER_NAMES, POSTGRES_DRIVERS } from "../helpers/postgres.ts";
import { baseEnv, spawnConnector } from "../helpers/process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CA = fileURLToPath(new URL("../fixtures/tls/ca.pem", import.meta.url));
const PUBLIC_URL = "https://rr.example.test";

/** Runs main.ts as Deno Deploy would: production env, no write permission anywhere. */
function startLikeDeploy(env: Record<string, string>) {
  return spawnConnector(
    ["run", "--allow-net", "--allow-env", "--allow-read", "--cert", CA, "main.ts"],
    {
      ...baseEnv(),
      DENO_DEPLOY: "true",
      PORT: "0",
      BIND_HOST: "127.0.0.1",
      PUBLIC_URL,
      SESSION_SIGNING_SECRET: "deploy-test-secret-0123456789abcdef",
      ...env,
    },
    ROOT,
  );
}

async function chat(origin: string, token: string) {
  const client = new Client({ name: "claude-ai-like", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/mcp", origin), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    assert(!result.isError, `${name}: ${JSON.stringify(result.content)}`);
    // deno-lint-ignore no-explicit-any
    return result.structuredContent as any;
  };
  return { client, call };
}

for (const driver of POSTGRES_DRIVERS) {
  Deno.test(`deploy mode (${DRIVER_NAMES[driver]}): read-only disk, production settings, a full authenticated session`, async () => {
    await using db = await createTestDatabase({ driver });
    await using issuer = await startFakeIssuer();
    await using app = await startLikeDeploy({ ...db.env, AUTH_ISSUER: issuer.issuer });
    assertEquals(app.connectorUrl, `${PUBLIC_URL}/mcp`);

    const prm = await (await fetch(`${app.origin}/.well-known/oauth-protected-resource/mcp`))
      .json();
    assertEquals(prm.resource, `${PUBLIC_URL}/mcp`);
    assertEquals(prm.authorization_servers, [issuer.issuer]);
    assertEquals((await fetch(`${app.origin}/readyz`)).status, 200);
    const landing = await (await fetch(`${app.origin}/`)).text();
    assertStringIncludes(landing, `${PUBLIC_URL}/mcp`);

    const token = await issuer.token("auth0|deploy-reader", `${PUBLIC_URL}/mcp`);
    const first = await chat(app.origin, token);
    try {
      const begun = await first.call("begin_session");
      const session = begun.session.token;
      const found = await first.call("domain_search", { session, query: "telescope" });
      assert(found.results.length > 0);
      await first.call("domain_get_item", { session, id: found.results[0].id });
      await first.call("user_save_state", {
        session,
        patch: { deployed: true },
        expected_version: 0,
      });
    } finally {
      await first.client.close();
    }
    const second = await chat(app.origin, token);
    try {
      const again = await second.call("begin_session");
      assertEquals(again.state.data, { deployed: true });
    } finally {
      await second.client.close();
    }

    // Nothing tried to write to disk (it would have been refused).
    await app[Symbol.asyncDispose]();
    const stderr = await app.stderr;
    assert(!/NotCapable|PermissionDenied|write access/i.test(stderr), stderr);
  });
}

Deno.test("deploy mode with the development sign-in switched on: keys in KV, warnings on pages", async () => {
  await using db = await createTestDatabase();
  await using app = await startLikeDeploy({
    DATABASE_URL: db.url,
    DATABASE_WS_PROXY: db.relay.address,
    DEV_SIGNIN_ON_DEPLOY: "1",
  });
  const jwks = await (await fetch(`${app.origin}/.well-known/jwks.json`)).json();
  assertEquals(jwks.keys.length, 1);
  const metadata = await (await fetch(`${app.origin}/.well-known/oauth-authorization-server`))
    .json();
  assertEquals(metadata.issuer, PUBLIC_URL);
  assertStringIncludes(
    await (await fetch(`${app.origin}/`)).text(),
    "Anyone can sign in as anyone",
  );
  await app[Symbol.asyncDispose]();
  assert(!/NotCapable|PermissionDenied/i.test(await app.stderr));
});

Deno.test("deploy mode refuses an unsafe environment before serving anything", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", "main.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: { ...baseEnv(), DENO_DEPLOY: "true", SESSION_SIGNING_SECRET: "too-short-secret" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assertEquals(code, 1);
  for (const variable of ["SESSION_SIGNING_SECRET", "DATABASE_URL", "PUBLIC_URL", "AUTH_ISSUER"]) {
    assertStringIncludes(text, variable);
  }
  assert(!text.includes("too-short-secret"), "a secret value was printed");
});

Deno.test("deploy mode with AUTH_ISSUER one slash off: it starts, and /readyz, the page and /mcp say what is wrong", async () => {
  await using db = await createTestDatabase();
  await using issuer = await startFakeIssuer();
  const wrong = `${issuer.issuer}/`;
  await using app = await startLikeDeploy({
    DATABASE_URL: db.url,
    DATABASE_WS_PROXY: db.relay.address,
    AUTH_ISSUER: wrong,
  });
  const ready = await fetch(`${app.origin}/readyz`);
  const report = await ready.json();
  assertEquals([ready.status, report.checks.issuer], [503, "mismatch"]);
  assertStringIncludes(report.issuerProblem, `set AUTH_ISSUER=${issuer.issuer}`);
  assertStringIncludes(await (await fetch(`${app.origin}/`)).text(), "misconfigured");
  const token = await issuer.token("auth0|deploy-reader", `${PUBLIC_URL}/mcp`);
  const refused = await fetch(`${app.origin}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  assertEquals(refused.status, 503);
  const body = await refused.json();
  assertStringIncludes(body.error_description, `AUTH_ISSUER is "${wrong}"`);
});
