import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";
import { startBearerProxy } from "../helpers/bearer_proxy.ts";
import { startTestServer } from "../helpers/server.ts";

const EXPECTED_FAILURES = fileURLToPath(
  new URL("./conformance-expected-failures.yml", import.meta.url),
);

/** Scenarios that exercise what we do offer: these must pass outright. */
const MUST_PASS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

Deno.test("the official conformance suite passes against the gateway with auth on", async () => {
  await using server = await startTestServer();
  await using proxy = startBearerProxy(server.config.publicUrl, await server.mint());
  const outDir = await Deno.makeTempDir({ prefix: "conformance-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        // The test configuration: the suite is a test-only package, kept out of the server's lock.
        "--config",
        new URL("../../deno.test.json", import.meta.url).pathname,
        "npm:@modelcontextprotocol/conformance@0.1.16",
        "server",
        "--url",
        proxy.url("/mcp"),
        "-o",
        outDir,
        "--expected-failures",
        EXPECTED_FAILURES,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    const summary = output.slice(output.indexOf("=== SUMMARY ==="));
    for (const scenario of MUST_PASS) {
      const line = summary.split("\n").find((l) => l.includes(` ${scenario}:`));
      assert(
        line?.startsWith("✓") && line.includes(" 0 failed"),
        `${scenario}: ${line}\n${summary}`,
      );
    }
    assertEquals(code, 0, `conformance run failed:\n${summary}`);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
