import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { signinKeys } from "../../src/signin/kv_keys.ts";
import { clientMetadataFor, formsOf, FormWalker } from "../helpers/oauth.ts";
import { startTestServer } from "../helpers/server.ts";
import {
  authorizeUrl,
  CALLBACK,
  pkce,
  register,
  registeredClient,
  tokenRequest,
  tokensFor,
} from "../helpers/signin_flow.ts";

Deno.test("oversized ids are refused as bad requests before they reach KV", async (t) => {
  await using server = await startTestServer();
  const longId = `https://app.example.com/${"a".repeat(2_100)}`;
  const { challenge } = await pkce();

  await t.step("a 2,100-character client_id at /authorize: an error page, not a 500", async () => {
    for (const clientId of [longId, "rr-".padEnd(2_100, "x")]) {
      const response = await fetch(
        authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
      );
      assertEquals(response.status, 400);
      assertStringIncludes(await response.text(), "not recognised");
    }
  });
  await t.step("a 2,100-character client_id at /token: invalid_client", async () => {
    for (const clientId of [longId, "rr-".padEnd(2_100, "x")]) {
      const response = await tokenRequest(server, {
        grant_type: "authorization_code",
        client_id: clientId,
        code: "x",
      });
      assertEquals(response.status, 401);
      assertEquals((await response.json()).error, "invalid_client");
    }
  });
  await t.step("a 3,000-character request id on the sign-in form: 400", async () => {
    const clientId = await registeredClient(server);
    const url = authorizeUrl(server, { client_id: clientId, code_challenge: challenge });
    const walker = new FormWalker();
    const [form] = formsOf(await (await walker.request(url)).text());
    const response = await walker.submit(url, form, { identity: "x", request: "r".repeat(3_000) });
    assertEquals(response.status, 400);
    assertStringIncludes(await response.text(), "expired");
  });
});

Deno.test("pages show third-party text safely and never echo request parameters", async (t) => {
  await using server = await startTestServer();
  const { challenge } = await pkce();

  await t.step("a client_name with U+202E is shown without it, isolated in <bdi>", async () => {
    const registered = await register(server, {
      ...clientMetadataFor(CALLBACK),
      client_name: "Trusted\u202Egnp.evil\u200B App",
    });
    const client = await registered.json();
    assertEquals(client.client_name, "Trustedgnp.evil App", "cleaned when registered");
    const url = authorizeUrl(server, { client_id: client.client_id, code_challenge: challenge });
    const walker = new FormWalker();
    const signIn = await (await walker.request(url)).text();
    assertEquals(/[\u202A-\u202E\u2066-\u2069\u200B]/.test(signIn), false);
    assertStringIncludes(signIn, "<bdi>Trustedgnp.evil App</bdi>");
    const consent = await (await walker.submit(url, formsOf(signIn)[0], { identity: "Ann\u202Ex" }))
      .text();
    assertEquals(/[\u202A-\u202E]/.test(consent), false);
    assertStringIncludes(consent, "<bdi>Trustedgnp.evil App</bdi>");
    assertStringIncludes(consent, "<bdi>Annx</bdi>");
  });
  await t.step("a name of fillers alone is shown as an unnamed app", async () => {
    // Hangul fillers, the halfwidth filler and the blank Braille pattern all render as nothing.
    for (const name of ["\u3164\u3164\u3164", "\u115F\u1160", "\uFFA0 \u2800", "\u2800\u3164x"]) {
      const registered = await register(server, {
        ...clientMetadataFor(CALLBACK),
        client_name: name,
      });
      const client = await registered.json();
      const shown = name.endsWith("x") ? "x" : "An unnamed app";
      assertEquals(client.client_name, name.endsWith("x") ? "x" : undefined, "cleaned on entry");
      const url = authorizeUrl(server, { client_id: client.client_id, code_challenge: challenge });
      const signIn = await (await new FormWalker().request(url)).text();
      assertStringIncludes(signIn, `<bdi>${shown}</bdi>`);
      assertEquals(/[\u115F\u1160\u3164\uFFA0\u2800]/.test(signIn), false);
    }
  });
  await t.step("a client's grant type text is not echoed back", async () => {
    const response = await register(server, {
      ...clientMetadataFor(CALLBACK),
      grant_types: ["authorization_code", "Call-0800-555-0100-now"],
    });
    assertEquals(response.status, 400);
    const body = await response.json();
    assertEquals(body.error, "invalid_client_metadata");
    assertEquals(JSON.stringify(body).includes("0800"), false);
  });
  await t.step("an unknown scope's text is ignored: never shown on the sign-in page", async () => {
    const clientId = await registeredClient(server);
    const scope = "mcp Call-0800-555-0100-to-restore-your-account";
    const response = await fetch(
      authorizeUrl(server, { client_id: clientId, code_challenge: challenge, scope }),
    );
    assertEquals(response.status, 200);
    const html = await response.text();
    assertEquals(html.includes("Call-0800"), false);
    assertEquals(html.includes("0800"), false);
  });
});

Deno.test("the first authorization code keeps a registration from expiring", async () => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server);
  const db = await server.resources.kv.get();
  const before = await db.get<{ expiresAt?: number }>(signinKeys.client(clientId));
  assert(before.value?.expiresAt, "a new registration expires unless used");
  await tokensFor(server, clientId);
  const after = await db.get<{ expiresAt?: number }>(signinKeys.client(clientId));
  assertEquals(after.value?.expiresAt, undefined);
});

Deno.test("with KV gone, sign-in routes answer 503 temporarily_unavailable, never 500", async () => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server);
  const { challenge } = await pkce();
  server.resources.kv.close();

  const page = await fetch(
    authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
  );
  assertEquals(page.status, 503);
  const html = await page.text();
  assertStringIncludes(html, "Sign-in is unavailable");
  assertEquals(html.includes("KV"), false, "no error text leaks onto the page");

  for (
    const response of [
      await register(server),
      await tokenRequest(server, {
        grant_type: "authorization_code",
        client_id: clientId,
        code: "c",
      }),
      await fetch(`${server.config.publicUrl}/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: "rrt_x", client_id: clientId }),
      }),
    ]
  ) {
    assertEquals(response.status, 503, response.url);
    const body = await response.json();
    assertEquals(body.error, "temporarily_unavailable");
    assertEquals(JSON.stringify(body).includes("closed"), false);
  }
});

Deno.test("malformed sign-in requests get 4xx answers, never a 500", async () => {
  await using server = await startTestServer();
  const base = server.config.publicUrl;
  const form = (body: string, type = "application/x-www-form-urlencoded") => ({
    method: "POST",
    headers: { "content-type": type },
    body,
  });
  const attempts: [string, RequestInit?][] = [
    ["/authorize?client_id=%ff%fe%E0%A4%A"],
    ["/authorize?client_id=a&client_id=b&scope=%00%01"],
    [`/authorize?client_id=${"\u202E".repeat(800)}`],
    ["/authorize?client_id=https://%5B::1%5D:99999/x"],
    ["/authorize?client_id=https://xn--/x"],
    ["/token", form("client_id=%ff&grant_type=refresh_token&refresh_token=rrt_%00")],
    ["/token", form(`client_id=rr-x&grant_type=authorization_code&code=${"c".repeat(60_000)}`)],
    ["/token", form("\u0000\uffff", "application/x-www-form-urlencoded; charset=bogus")],
    ["/revoke", form(`token=rrt_${"t".repeat(60_000)}&client_id=${"c".repeat(3_000)}`)],
    ["/register", form(`{"redirect_uris":${"[".repeat(5_000)}`, "application/json")],
    [
      "/register",
      form('{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"\\u202e"}', "application/json"),
    ],
    ["/register", form('{"redirect_uris":["http://127.0.0.1/cb"],"scope":7}', "application/json")],
    ["/authorize/signin", form("request=abc&csrf=x&identity=y")],
    ["/authorize/signin", form("--x\r\nbroken", "multipart/form-data; boundary=x")],
    ["/authorize/consent", form(`request=${"%ff".repeat(1_000)}&decision=allow`)],
  ];
  for (const [path, init] of attempts) {
    const response = await fetch(`${base}${path}`, init);
    await response.body?.cancel();
    assert(response.status >= 200 && response.status < 500, `${path}: ${response.status}`);
  }
});
