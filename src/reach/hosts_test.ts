import { assertEquals } from "@std/assert";
import { reachOf } from "./hosts.ts";

const verdicts = (url: string) => Object.fromEntries(reachOf(url).map((r) => [r.host, r.ok]));

Deno.test("which hosts reach a URL as it is", () => {
  const local = verdicts("http://localhost:8000/mcp");
  assertEquals(local["claude.ai"], false);
  assertEquals(local.ChatGPT, false);
  assertEquals(local["Claude Code"], true);
  assertEquals(local["MCP Inspector"], true);
  assertEquals(verdicts("http://192.168.1.20/mcp")["claude.ai"], false);
  assertEquals(verdicts("http://connector.example.com/mcp")["claude.ai"], false);
  assertEquals(verdicts("https://connector.example.com:8443/mcp").ChatGPT, false);
  assertEquals(Object.values(verdicts("https://connector.example.com/mcp")).every(Boolean), true);
  // A public name that merely starts like a private IPv6 prefix is public.
  assertEquals(verdicts("https://fdconnect.example/mcp")["claude.ai"], true);
  assertEquals(verdicts("http://[fd00::1]/mcp")["claude.ai"], false);
  assertEquals(verdicts("http://10.0.0.5/mcp").ChatGPT, false);
});
