import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { artifacts, launchChromium, skipWithoutBrowser } from "../helpers/browser.ts";
import { MemoryOAuthProvider } from "../helpers/oauth.ts";
import { startTestServer } from "../helpers/server.ts";

/** A loopback OAuth callback that hands the query string to the test. */
function startCallback() {
  const { promise, resolve } = Promise.withResolvers<URLSearchParams>();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/callback") return new Response(null, { status: 404 });
    resolve(url.searchParams);
    return new Response(
      "<!doctype html><title>Connected</title><h1>You are connected. You can close this tab.</h1>",
      { headers: { "content-type": "text/html; charset=utf-8" } },
    );
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/callback`,
    params: promise,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test({
  name: "a person signs in and approves in a real browser; the client gets its token",
  ignore: skipWithoutBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const screenshot = await artifacts("browser");
    await using server = await startTestServer();
    await using callback = startCallback();
    const provider = new MemoryOAuthProvider(callback.url);
    const url = new URL(server.mcpUrl);
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    const first = new Client({ name: "browser-host", version: "1.0.0" });
    try {
      await first.connect(transport);
      throw new Error("connected without signing in");
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
    }
    assert(provider.authorizationUrl);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(provider.authorizationUrl.toString());
      assertStringIncludes(await page.title(), "Sign in");
      await page.screenshot({ path: screenshot("1-sign-in.png"), fullPage: true });
      await page.fill("#identity", "Dana Browser");
      await page.click("button[type=submit]");
      await page.waitForSelector("text=Allow access?");
      assertStringIncludes(await page.content(), "Dana Browser");
      await page.screenshot({ path: screenshot("2-consent.png"), fullPage: true });
      await page.click("button:has-text('Allow')");
      const params = await callback.params;
      await page.waitForSelector("text=You are connected");
      await page.screenshot({ path: screenshot("3-back-at-the-client.png") });
      assertEquals(params.get("iss"), server.config.publicUrl);
      await transport.finishAuth(params);
    } finally {
      await browser.close();
      await first.close();
    }

    const client = new Client({ name: "browser-host", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    try {
      const health = await client.callTool({ name: "health", arguments: {} });
      assertEquals(health.isError ?? false, false);
      assert(
        String((health.structuredContent as { signedInAs: string }).signedInAs).startsWith("dev-"),
      );
    } finally {
      await client.close();
    }
  },
});
