import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "@std/assert";
import { presentedCredentials } from "../../src/signin/client_auth.ts";
import { ClientError } from "../../src/signin/clients.ts";
import {
  clientSecretFor,
  clientSecretMatches,
  successorRefreshToken,
} from "../../src/signin/derived_secrets.ts";
import { signInAndDecide } from "../helpers/oauth.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { authorizeUrl, CALLBACK, pkce } from "../helpers/signin_flow.ts";

const hmacKey = () =>
  crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

Deno.test("derived secrets: per client, per key, per purpose; verified in constant time", async (t) => {
  const key = await hmacKey();
  const secret = await clientSecretFor(key, "rr-a");
  await t.step("deterministic for one client and key", async () => {
    assertMatch(secret, /^[A-Za-z0-9_-]{43}$/);
    assertEquals(await clientSecretFor(key, "rr-a"), secret);
    assert(await clientSecretMatches(key, "rr-a", secret));
  });
  await t.step("another client's secret does not verify", async () => {
    const other = await clientSecretFor(key, "rr-b");
    assertNotEquals(other, secret);
    assertEquals(await clientSecretMatches(key, "rr-a", other), false);
  });
  await t.step("another server key gives other secrets", async () => {
    assertEquals(await clientSecretMatches(await hmacKey(), "rr-a", secret), false);
  });
  await t.step("malformed, truncated, padded and empty guesses are refused", async () => {
    // The last character carries two spare bits: a neighbour decodes to the same bytes.
    const twin = secret.slice(0, 42) +
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(secret[42]) ^ 1
      ];
    const guesses = ["", "!!!", secret.slice(0, 42), `${secret}A`, `${secret}==`, "a b", twin];
    for (const guess of guesses) {
      assertEquals(await clientSecretMatches(key, "rr-a", guess), false, guess);
    }
  });
  await t.step("a refresh successor is not a client secret (labels differ)", async () => {
    const successor = await successorRefreshToken(key, "rr-a");
    assertEquals(await clientSecretMatches(key, "rr-a", successor.slice(4)), false);
    assertEquals(await successorRefreshToken(key, "rr-a"), successor);
  });
});

Deno.test("credentials are read from one place: the Basic header or the form", async (t) => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields);
  const refused = (auth: string | undefined, fields: Record<string, string>, code: string) => {
    const error = assertThrows(
      () => presentedCredentials(auth, form(fields)),
      ClientError,
    ) as ClientError;
    assertEquals(error.code, code);
    return error;
  };
  await t.step("form: client_id and client_secret", () => {
    assertEquals(presentedCredentials(undefined, form({ client_id: "a", client_secret: "s" })), {
      clientId: "a",
      secret: "s",
    });
  });
  await t.step("Basic: form-encoded id and secret (RFC 6749 §2.3.1)", () => {
    assertEquals(presentedCredentials(basic("a b:c", "s:+é"), form({})), {
      clientId: "a b:c",
      secret: "s:+é",
    });
  });
  await t.step("an empty secret counts as none", () => {
    assertEquals(presentedCredentials(basic("a", ""), form({})).secret, undefined);
    assertEquals(
      presentedCredentials(undefined, form({ client_id: "a", client_secret: "" })).secret,
      undefined,
    );
  });
  await t.step("Basic and client_secret both: invalid_request", () => {
    refused(basic("a", "s"), { client_id: "a", client_secret: "s" }, "invalid_request");
  });
  await t.step("Basic naming another client than the form: invalid_client", () => {
    refused(basic("a", "s"), { client_id: "b" }, "invalid_client");
  });
  await t.step("malformed Basic: invalid_client, nothing echoed", () => {
    for (const header of ["Basic !!!", "Basic " + btoa("no-colon"), "Basic " + btoa(":s")]) {
      const error = refused(header, {}, "invalid_client");
      assertEquals(error.message, "Malformed Basic credentials");
    }
  });
  await t.step("no client_id anywhere: invalid_client", () => {
    refused(undefined, {}, "invalid_client");
    refused("Bearer abc", {}, "invalid_client");
  });
});

/** Registers a client with `method`; returns its id and secret. */
async function registerWith(server: TestServer, method: string, name = "Secret app") {
  const response = await fetch(`${server.config.publicUrl}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [CALLBACK],
      token_endpoint_auth_method: method,
    }),
  });
  assertEquals(response.status, 201);
  return await response.json() as { client_id: string; client_secret?: string };
}

function post(server: TestServer, path: string, fields: Record<string, string>, auth?: string) {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
  };
  if (auth) headers.authorization = auth;
  return fetch(`${server.config.publicUrl}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(fields),
  });
}

async function codeFor(server: TestServer, clientId: string) {
  const { verifier, challenge } = await pkce();
  const back = await signInAndDecide(
    authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
    "alice",
  );
  return {
    grant_type: "authorization_code",
    code: back.searchParams.get("code")!,
    code_verifier: verifier,
    redirect_uri: CALLBACK,
  };
}

async function expectInvalidClient(response: Response, secret?: string) {
  const text = await response.text();
  assertEquals(response.status, 401, text);
  assertEquals(JSON.parse(text).error, "invalid_client");
  assertMatch(response.headers.get("www-authenticate") ?? "", /^Basic /);
  if (secret) assertEquals(text.includes(secret), false, "the secret was echoed");
}

Deno.test("confidential clients authenticate at /token and /revoke; public ones stay public", async (t) => {
  await using server = await startTestServer();
  const post_ = await registerWith(server, "client_secret_post");
  const basic_ = await registerWith(server, "client_secret_basic");
  const other = await registerWith(server, "client_secret_post", "Other secret app");
  const pub = await registerWith(server, "none", "Public app");
  const secret = post_.client_secret!;

  await t.step("registration: a secret for secret methods, none for public clients", async () => {
    assertMatch(secret, /^[A-Za-z0-9_-]{43}$/);
    assertEquals(pub.client_secret, undefined);
    // post and basic are one confidential client: the same id and secret, either method at /token.
    assertEquals([basic_.client_id, basic_.client_secret], [post_.client_id, secret]);
    const again = await registerWith(server, "client_secret_post");
    assertEquals([again.client_id, again.client_secret], [post_.client_id, secret]);
    // The same metadata registered as a public client is another client, without a secret.
    const samePublic = await registerWith(server, "none");
    assertNotEquals(samePublic.client_id, post_.client_id);
    assertEquals(samePublic.client_secret, undefined);
  });
  await t.step("a valid secret passes; the grant is judged next", async () => {
    const response = await post(server, "/token", {
      grant_type: "refresh_token",
      refresh_token: "rrt_unknown",
      client_id: post_.client_id,
      client_secret: secret,
    });
    // Authenticated, then refused for the grant: the secret itself was accepted.
    assertEquals((await response.json()).error, "invalid_grant");
  });
  await t.step("client_secret_post works, and so does Basic for the same client", async () => {
    const byPost = await post(server, "/token", {
      ...(await codeFor(server, post_.client_id)),
      client_id: post_.client_id,
      client_secret: secret,
    });
    assertEquals(byPost.status, 200);
    const tokens = await byPost.json();
    const byBasic = await post(server, "/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
    }, basic(post_.client_id, secret));
    assertEquals(byBasic.status, 200);
    await byBasic.body?.cancel();
  });
  await t.step("client_secret_basic works, and so does the form for the same client", async () => {
    const byBasic = await post(
      server,
      "/token",
      await codeFor(server, basic_.client_id),
      basic(basic_.client_id, basic_.client_secret!),
    );
    assertEquals(byBasic.status, 200);
    const tokens = await byBasic.json();
    const byPost = await post(server, "/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: basic_.client_id,
      client_secret: basic_.client_secret!,
    });
    assertEquals(byPost.status, 200);
    await byPost.body?.cancel();
  });
  await t.step("wrong secret: invalid_client, secret not echoed", async () => {
    const wrong = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    await expectInvalidClient(
      await post(server, "/token", {
        ...(await codeFor(server, post_.client_id)),
        client_id: post_.client_id,
        client_secret: wrong,
      }),
      wrong,
    );
    await expectInvalidClient(
      await post(
        server,
        "/token",
        await codeFor(server, post_.client_id),
        basic(post_.client_id, wrong),
      ),
      wrong,
    );
  });
  await t.step("another client's secret: invalid_client", async () => {
    await expectInvalidClient(
      await post(server, "/token", {
        ...(await codeFor(server, post_.client_id)),
        client_id: post_.client_id,
        client_secret: other.client_secret!,
      }),
      other.client_secret,
    );
  });
  await t.step("missing secret for a confidential client: invalid_client", async () => {
    await expectInvalidClient(
      await post(server, "/token", {
        ...(await codeFor(server, post_.client_id)),
        client_id: post_.client_id,
      }),
    );
  });
  await t.step("Basic and form secret together: invalid_request", async () => {
    const response = await post(server, "/token", {
      ...(await codeFor(server, post_.client_id)),
      client_id: post_.client_id,
      client_secret: secret,
    }, basic(post_.client_id, secret));
    assertEquals([response.status, (await response.json()).error], [400, "invalid_request"]);
  });
  await t.step("Basic for one client, form client_id of another: invalid_client", async () => {
    await expectInvalidClient(
      await post(server, "/token", {
        ...(await codeFor(server, other.client_id)),
        client_id: other.client_id,
      }, basic(post_.client_id, secret)),
    );
  });
  await t.step("a code of one confidential client redeemed by another: invalid_grant", async () => {
    const response = await post(server, "/token", {
      ...(await codeFor(server, post_.client_id)),
      client_id: other.client_id,
      client_secret: other.client_secret!,
    });
    assertEquals([response.status, (await response.json()).error], [400, "invalid_grant"]);
  });
  await t.step("a public client sending a secret: invalid_client", async () => {
    await expectInvalidClient(
      await post(server, "/token", {
        ...(await codeFor(server, pub.client_id)),
        client_id: pub.client_id,
        client_secret: secret,
      }),
      secret,
    );
    await expectInvalidClient(
      await post(
        server,
        "/token",
        await codeFor(server, pub.client_id),
        basic(pub.client_id, secret),
      ),
      secret,
    );
  });
  await t.step("a public client without a secret still works, with PKCE", async () => {
    const response = await post(server, "/token", {
      ...(await codeFor(server, pub.client_id)),
      client_id: pub.client_id,
    });
    assertEquals(response.status, 200);
    await response.body?.cancel();
  });
  await t.step("PKCE stays required for confidential clients", async () => {
    const { code_verifier: _dropped, ...withoutVerifier } = await codeFor(server, post_.client_id);
    const response = await post(server, "/token", {
      ...withoutVerifier,
      client_id: post_.client_id,
      client_secret: secret,
    });
    assertEquals([response.status, (await response.json()).error], [400, "invalid_request"]);
  });
  await t.step("/revoke: a confidential client must authenticate", async () => {
    const tokens = await (await post(server, "/token", {
      ...(await codeFor(server, post_.client_id)),
      client_id: post_.client_id,
      client_secret: secret,
    })).json();
    await expectInvalidClient(
      await post(server, "/revoke", { token: tokens.refresh_token, client_id: post_.client_id }),
    );
    await expectInvalidClient(
      await post(server, "/revoke", {
        token: tokens.refresh_token,
        client_id: post_.client_id,
        client_secret: other.client_secret!,
      }),
    );
    // Unauthenticated attempts did not revoke: the token still refreshes.
    const still = await post(server, "/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: post_.client_id,
      client_secret: secret,
    });
    assertEquals(still.status, 200);
    const next = await still.json();
    const revoked = await post(
      server,
      "/revoke",
      { token: next.refresh_token },
      basic(post_.client_id, secret),
    );
    assertEquals(revoked.status, 200);
    await revoked.body?.cancel();
    const after = await post(server, "/token", {
      grant_type: "refresh_token",
      refresh_token: next.refresh_token,
      client_id: post_.client_id,
      client_secret: secret,
    });
    assertEquals([after.status, (await after.json()).error], [400, "invalid_grant"]);
  });
  await t.step("no log line carries a secret", () => {
    const logs = JSON.stringify(server.logs);
    for (const s of [secret, basic_.client_secret!, other.client_secret!]) {
      assertEquals(logs.includes(s), false);
    }
  });
});
