import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readingRoomPack } from "../../src/domains/reading_room/pack.ts";
import { buildToolRegistry } from "../../src/tools/registry.ts";

const TOOLS = buildToolRegistry(readingRoomPack, {
  brand: readingRoomPack.brand,
  sessionMinutes: 30,
  stateMaxBytes: 65_536,
}).tools;
import { artifacts, launchChromium, skipWithoutBrowser } from "../helpers/browser.ts";
import { startTestServer } from "../helpers/server.ts";

Deno.test({
  name: "the landing page tells a person what to do, in a real browser, without JavaScript",
  ignore: skipWithoutBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const screenshot = await artifacts("landing");
    await using server = await startTestServer();
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width: 1100, height: 900 },
      });
      const page = await context.newPage();
      const response = await page.goto(`${server.config.publicUrl}/`);
      assertEquals(response?.status(), 200);
      await page.screenshot({
        path: screenshot("landing-desktop.png"),
        fullPage: true,
      });
      const text = await page.innerText("body");
      assertStringIncludes(text, server.mcpUrl);
      for (const host of ["claude.ai", "Claude Code", "MCP Inspector"]) {
        assertStringIncludes(text, host);
      }
      assertStringIncludes(text, `claude mcp add --transport http reading-room ${server.mcpUrl}`);
      // On localhost the page does not send people to claude.ai with a URL it cannot reach.
      assertStringIncludes(text, "claude.ai and ChatGPT connect from their own servers");
      assertStringIncludes(text, "start a tunnel");
      assert(!text.includes("Settings → Connectors"), "claude.ai steps for a localhost URL");
      for (const tool of TOOLS) {
        assertStringIncludes(text, tool.name);
        assertStringIncludes(text, tool.title);
      }
      assertStringIncludes(text, "Ready");
      assertStringIncludes(text, "database answering, session store answering");

      const phone = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width: 390, height: 844 },
      });
      const small = await phone.newPage();
      await small.goto(`${server.config.publicUrl}/`);
      await small.screenshot({
        path: screenshot("landing-phone.png"),
        fullPage: true,
      });
      const overflow = await small.evaluate(
        "document.documentElement.scrollWidth > window.innerWidth",
      );
      assertEquals(overflow, false, "the page scrolls sideways on a phone");
    } finally {
      await browser.close();
    }
  },
});

Deno.test("the landing page's status line reports a store outage", async () => {
  await using server = await startTestServer({ STORE_TIMEOUT_MS: "2000" });
  server.database!.relay.setRefusing(true);
  server.database!.relay.cutConnections();
  const html = await (await fetch(`${server.config.publicUrl}/`)).text();
  assertStringIncludes(html, "Not ready");
  assert(/database (unavailable|not answering in time)/.test(html));
  assert(!html.includes("<script"));
});

Deno.test("on a public HTTPS address the page gives claude.ai's steps", async () => {
  await using server = await startTestServer({ PUBLIC_URL: "https://connector.example.com" });
  const html = await (await fetch(`${server.localOrigin}/`, {
    headers: { host: "connector.example.com" },
  })).text();
  assertStringIncludes(html, "Settings → Connectors");
  assert(!html.includes("connect from their own servers"), "a reach warning on a public URL");
});
