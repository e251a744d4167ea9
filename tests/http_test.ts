import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { INITIALIZE, readRpc, startTestServer } from "./helpers/server.ts";

Deno.test("protected resource metadata is served at both well-known paths", async (t) => {
  await using server = await startTestServer();
  const origin = server.config.publicUrl;
  for (
    const path of [
      "/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource",
    ]
  ) {
    await t.step(path, async () => {
      const response = await fetch(`${origin}${path}`, {
        headers: { origin: "https://claude.ai" },
      });
      assertEquals(response.status, 200);
      assertEquals(response.headers.get("access-control-allow-origin"), "*");
      assertEquals(await response.json(), {
        resource: `${origin}/mcp`,
        authorization_servers: [origin],
        scopes_supported: ["mcp"],
        bearer_methods_supported: ["header"],
        resource_name: "Reading Room",
      });
    });
  }
  await t.step("the resource is RESOURCE_URL exactly, whatever it is", async () => {
    await using custom = await startTestServer({
      RESOURCE_URL: "https://connector.example.com/mcp",
    });
    const doc =
      await (await fetch(`${custom.config.publicUrl}/.well-known/oauth-protected-resource`)).json();
    assertEquals(doc.resource, "https://connector.example.com/mcp");
  });
  await t.step("the JWKS of the development issuer is public", async () => {
    const jwks = await (await fetch(`${origin}/.well-known/jwks.json`)).json();
    assertEquals(jwks.keys.length, 1);
    assertEquals(jwks.keys[0].alg, "ES256");
    assert(!("d" in jwks.keys[0]), "private key material published");
  });
});

Deno.test("/mcp speaks only POST", async (t) => {
  await using server = await startTestServer();
  for (const method of ["GET", "DELETE"]) {
    await t.step(`${method} → 405`, async () => {
      const response = await fetch(server.mcpUrl, {
        method,
        headers: { accept: "text/event-stream" },
      });
      assertEquals(response.status, 405);
      assertEquals(response.headers.get("allow"), "POST");
      await response.body?.cancel();
    });
  }
});

Deno.test("Origin and Host are checked before anything else", async (t) => {
  await using server = await startTestServer({ ALLOWED_ORIGINS: "inspector.example.com" });
  const token = await server.mint();
  const auth = { authorization: `Bearer ${token}` };
  await t.step("a foreign Origin is refused with 403", async () => {
    const response = await server.post(INITIALIZE, { ...auth, origin: "https://evil.example.com" });
    assertEquals(response.status, 403);
    await response.body?.cancel();
  });
  await t.step("the opaque null Origin is refused", async () => {
    const response = await server.post(INITIALIZE, { ...auth, origin: "null" });
    assertEquals(response.status, 403);
    await response.body?.cancel();
  });
  await t.step("no Origin is fine (server-to-server hosts send none)", async () => {
    const response = await server.post(INITIALIZE, auth);
    assertEquals(response.status, 200);
    await response.body?.cancel();
  });
  await t.step(
    "our own origin and ALLOWED_ORIGINS pass, with CORS exposing the challenge",
    async () => {
      for (const origin of [server.config.publicUrl, "https://inspector.example.com"]) {
        const response = await server.post(INITIALIZE, { origin });
        assertEquals(response.status, 401);
        assertEquals(response.headers.get("access-control-allow-origin"), origin);
        assertStringIncludes(
          response.headers.get("access-control-expose-headers") ?? "",
          "www-authenticate",
        );
        await response.body?.cancel();
      }
    },
  );
  await t.step("a CORS preflight needs no token", async () => {
    const response = await fetch(server.mcpUrl, {
      method: "OPTIONS",
      headers: {
        origin: "https://inspector.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, mcp-protocol-version",
      },
    });
    assertEquals(response.status, 204);
    assertStringIncludes(
      response.headers.get("access-control-allow-headers") ?? "",
      "authorization",
    );
    await response.body?.cancel();
  });
  await t.step("a rebinding Host is refused while bound to loopback", async () => {
    // fetch() derives Host from the URL, so speak HTTP/1.1 by hand.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.config.port });
    const body = JSON.stringify(INITIALIZE);
    await conn.write(new TextEncoder().encode(
      `POST /mcp HTTP/1.1\r\nHost: evil.example.com\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    ));
    const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assertStringIncludes(reply.split("\r\n")[0], "403");
  });
  await t.step("a rebinding Host is refused on every sign-in route and page too", async () => {
    const register = JSON.stringify({ redirect_uris: ["http://127.0.0.1:9/cb"] });
    const requests: [string, string, string?][] = [
      ["POST", "/register", register],
      ["GET", "/authorize?client_id=x&response_type=code"],
      ["POST", "/authorize/signin", "request=x"],
      ["POST", "/token", "grant_type=refresh_token&refresh_token=x&client_id=x"],
      ["POST", "/revoke", "token=x&client_id=x"],
      ["GET", "/.well-known/oauth-authorization-server"],
      ["GET", "/"],
    ];
    for (const [method, path, body = ""] of requests) {
      for (const host of ["evil.example.com", `rebind.example.net:${server.config.port}`]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.config.port });
        await conn.write(new TextEncoder().encode(
          `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n` +
            `Content-Type: ${
              body.startsWith("{") ? "application/json" : "application/x-www-form-urlencoded"
            }\r\n` +
            `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ));
        const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
        assertStringIncludes(reply.split("\r\n")[0], "403", `${method} ${path} with Host ${host}`);
      }
    }
    // Our own names still work.
    const own = await fetch(
      `http://localhost:${server.config.port}/.well-known/oauth-authorization-server`,
    );
    assertEquals(own.status, 200);
    await own.body?.cancel();
  });
});

Deno.test("an oversized body is refused with a clear 413", async (t) => {
  await using server = await startTestServer({ MAX_BODY_BYTES: "4096" });
  const auth = { authorization: `Bearer ${await server.mint()}` };
  const huge = JSON.stringify({
    ...INITIALIZE,
    params: { ...INITIALIZE.params, pad: "x".repeat(5000) },
  });
  await t.step("with Content-Length", async () => {
    const response = await server.post(huge, auth);
    assertEquals(response.status, 413);
    const body = await response.json();
    assertStringIncludes(body.error.message, "4096 bytes");
  });
  await t.step("streamed without Content-Length", async () => {
    const stream = ReadableStream.from([new TextEncoder().encode(huge)]);
    const response = await fetch(server.mcpUrl, {
      method: "POST",
      headers: {
        ...auth,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: stream,
    });
    assertEquals(response.status, 413);
    await response.body?.cancel();
  });
  await t.step("a body under the limit is served", async () => {
    const response = await server.post(INITIALIZE, auth);
    assertEquals(response.status, 200);
    assertEquals(
      ((await readRpc(response)).result as { protocolVersion: string }).protocolVersion,
      "2025-11-25",
    );
  });
});

Deno.test("2025-era requests are answered with one JSON body, not an SSE stream", async (t) => {
  await using server = await startTestServer();
  const auth = {
    authorization: `Bearer ${await server.mint()}`,
    "mcp-protocol-version": "2025-11-25",
  };
  const json = async (response: Response) => {
    assertEquals(response.headers.get("content-type")?.split(";")[0], "application/json");
    return await response.json();
  };
  await t.step("initialize", async () => {
    const answer = await json(await server.post(INITIALIZE, auth));
    assertEquals(answer.result.protocolVersion, "2025-11-25");
    assertEquals(answer.result.serverInfo.name.length > 0, true);
  });
  await t.step("the initialized notification gets 202 and no body", async () => {
    const response = await server.post(
      { jsonrpc: "2.0", method: "notifications/initialized" },
      auth,
    );
    assertEquals(response.status, 202);
    assertEquals(await response.text(), "");
  });
  await t.step("tools/list and tools/call", async () => {
    const listed = await json(
      await server.post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, auth),
    );
    assert(listed.result.tools.some((tool: { name: string }) => tool.name === "health"));
    const called = await json(
      await server.post({
        jsonrpc: "2.0",
        id: "three",
        method: "tools/call",
        params: { name: "health", arguments: {} },
      }, auth),
    );
    assertEquals(called.id, "three");
    assertEquals(called.result.isError, undefined);
  });
  await t.step(
    "a call of a tool that does not exist is answered as the protocol says",
    async () => {
      const answer = await json(
        await server.post({
          jsonrpc: "2.0",
          id: 9,
          method: "tools/call",
          params: { name: "domain_no_such_tool", arguments: {} },
        }, auth),
      );
      const said = JSON.stringify(answer.error ?? answer.result);
      assertStringIncludes(said, "domain_no_such_tool");
      assert(answer.error !== undefined || answer.result.isError === true, said);
    },
  );
  /** The whole answer to `batch`, or a failure if it is not complete within 5 s. */
  const batchAnswer = async (batch: unknown[]) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the batch's answer never ended")), 5_000);
    });
    try {
      return await Promise.race([
        server.post(batch, auth).then(async (r) => ({ status: r.status, text: await r.text() })),
        hung,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const health = (id: number | string, args: Record<string, unknown> = {}) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "health", arguments: args },
  });
  const cancel = (requestId: number) => ({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId },
  });
  await t.step("a batch of two requests gets both answers, in one JSON array", async () => {
    const { status, text } = await batchAnswer([
      { jsonrpc: "2.0", id: 4, method: "tools/list" },
      health(5),
    ]);
    assertEquals(status, 200);
    const ids = JSON.parse(text).map((m: { id: number }) => m.id);
    assertEquals(ids.sort(), [4, 5]);
  });
  await t.step("a batch that cancels its own request ends, in either order", async () => {
    // The SDK's stream for these stayed open for good, with a keep-alive every 15 s.
    for (
      const batch of [[health(6), cancel(6)], [cancel(7), {
        jsonrpc: "2.0",
        id: 7,
        method: "ping",
      }]]
    ) {
      const { status, text } = await batchAnswer(batch);
      assertEquals([status, text], [202, ""]);
    }
    const { text } = await batchAnswer([health(8), cancel(8), health(9)]);
    assertEquals(JSON.parse(text).map((m: { id: number }) => m.id), [9]);
  });
  await t.step("one bad call in a batch is refused alone", async () => {
    const { text } = await batchAnswer([health(10, { x: "a\u0000b" }), health(11)]);
    const [bad, good] = JSON.parse(text);
    assertEquals(bad.id, 10);
    assertEquals(bad.result.isError, true);
    assertStringIncludes(bad.result.content[0].text, "Request refused");
    assertEquals(good.id, 11);
    assertEquals(good.result.isError, undefined, JSON.stringify(good));
  });
  await t.step("a batch of more than 20 messages is refused as a whole, saying so", async () => {
    const { status, text } = await batchAnswer(Array.from({ length: 21 }, (_, i) => health(i)));
    assertEquals(status, 400);
    assertStringIncludes(JSON.parse(text).error.message, "at most 20 messages");
  });
  await t.step("a body that is not JSON gets the protocol's parse error", async () => {
    const response = await server.post("{not json", auth);
    assertEquals(response.status, 400);
    assertEquals((await response.json()).error.code, -32700);
  });
});

for (
  const [framing, partial] of [
    ["Content-Length: 4000", '{"jsonrpc":'],
    ["Transfer-Encoding: chunked", 'b\r\n{"jsonrpc":\r\n'],
  ]
) {
  Deno.test(`a client that leaves half way through its body (${framing}) leaves no error behind`, async () => {
    await using server = await startTestServer();
    const token = await server.mint();
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(" "));
    try {
      for (let i = 0; i < 5; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.config.port });
        await conn.write(new TextEncoder().encode(
          `POST /mcp HTTP/1.1\r\nHost: localhost:${server.config.port}\r\n` +
            `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
            `Accept: application/json, text/event-stream\r\n${framing}\r\n\r\n${partial}`,
        ));
        await new Promise((resolve) => setTimeout(resolve, 20));
        conn.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await server.post(INITIALIZE, { authorization: `Bearer ${token}` });
      assertEquals(response.status, 200);
      await response.body?.cancel();
    } finally {
      console.error = original;
    }
    // A chunked body broken off used to end as a 500 and "http: unanswered error (BadResource)".
    assertEquals(errors.filter((line) => !line.startsWith("database:")), []);
  });
}

Deno.test("a body that stops arriving is answered 408 and lets go of its handler", async (t) => {
  await using server = await startTestServer({ BODY_IDLE_TIMEOUT_MS: "300" });
  const token = await server.mint();
  const head = (framing: string) =>
    `POST /mcp HTTP/1.1\r\nHost: localhost:${server.config.port}\r\n` +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `Accept: application/json, text/event-stream\r\n${framing}\r\n\r\n`;
  /** Opens a connection, sends `first`, then `trickle` byte by byte every `everyMs`; returns the reply and when it came. */
  async function stalled(first: string, trickle = "", everyMs = 0) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.config.port });
    const started = performance.now();
    await conn.write(new TextEncoder().encode(first));
    let sending = true;
    const sender = (async () => {
      for (const byte of trickle) {
        if (!sending) break;
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        await conn.write(new TextEncoder().encode(byte)).catch(() => (sending = false));
      }
    })();
    // The answer's status line. (Deno.serve keeps the socket itself until the client closes it.)
    const reply = new Uint8Array(512);
    const read = await conn.read(reply);
    const ms = performance.now() - started;
    sending = false;
    conn.close();
    await sender;
    return { status: new TextDecoder().decode(reply.subarray(0, read ?? 0)).split("\r\n")[0], ms };
  }

  await t.step("a body with Content-Length that stalls", async () => {
    const { status, ms } = await stalled(`${head("Content-Length: 4000")}{"jsonrpc":`);
    assertStringIncludes(status, "408");
    assert(ms < 2_000, `answered after ${ms} ms`);
  });
  await t.step("a chunked body that stalls", async () => {
    const { status } = await stalled(`${head("Transfer-Encoding: chunked")}b\r\n{"jsonrpc":\r\n`);
    assertStringIncludes(status, "408");
  });
  await t.step("a trickle inside the idle bound still ends with the whole-body bound", async () => {
    // One byte every 100 ms never trips the 300 ms idle bound; the body gets 4 × 300 ms in all.
    const { status, ms } = await stalled(head("Content-Length: 4000"), "x".repeat(100), 100);
    assertStringIncludes(status, "408");
    assert(ms >= 1_100 && ms < 3_000, `answered after ${ms} ms`);
  });
  await t.step(
    "300 stalled bodies at once are all cut off, and others are served meanwhile",
    async () => {
      const all = Array.from({ length: 300 }, () => stalled(`${head("Content-Length: 100")}{`));
      const response = await server.post(INITIALIZE, { authorization: `Bearer ${token}` });
      assertEquals(response.status, 200);
      await response.body?.cancel();
      const results = await Promise.all(all);
      assertEquals(results.filter((r) => r.status.includes("408")).length, 300);
    },
  );
  await t.step("a sign-in form that stalls is cut off the same way", async () => {
    const { status } = await stalled(
      `POST /token HTTP/1.1\r\nHost: localhost:${server.config.port}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ngrant_type=`,
    );
    assertStringIncludes(status, "408");
  });
});
