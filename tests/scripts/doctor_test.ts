/**
 * `deno task doctor` against this kit's server, against stand-ins that each break one thing (or
 * several), and against hostile stand-ins — servers a builder does not control, answering to hurt
 * the doctor or the terminal it prints to: it names the hosts that fail and why, every defect with
 * its fix, and exits non-zero when a host would fail.
 *
 * @module
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { diagnose, report, verdicts } from "../../scripts/doctor.ts";
import { baseEnv } from "../helpers/process.ts";
import { type Flaw, type Hostile, STAND_IN_TOKEN, standIn } from "../helpers/standin.ts";
import { startTestServer } from "../helpers/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `deno task doctor` as a builder would; its exit code, what it printed, how long it took. */
async function doctor(
  url: string,
  ...flags: string[]
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "doctor", url, ...flags],
    cwd: ROOT,
    env: baseEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr), ms: performance.now() - started };
}

/** The host lines of a report (`claude.ai  FAIL  …`). */
function hostLines(text: string): string[] {
  return text.split("\n").filter((line) =>
    /^(claude\.ai|ChatGPT|Claude Code|Cursor \/ VS Code|MCP Inspector) /.test(line)
  );
}

/** C0 controls but the line feed, DEL, C1 controls, bidirectional overrides, line separators. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNPRINTABLE = new RegExp(
  "[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]",
);

Deno.test("the doctor on this kit's server", async (t) => {
  await using server = await startTestServer();
  await t.step("on localhost: claude.ai and ChatGPT cannot reach it; exit 1", async () => {
    const { code, stdout: text } = await doctor(server.mcpUrl, "--sign-in");
    assertEquals(code, 1, text);
    assertStringIncludes(text, "claude.ai         FAIL");
    assertStringIncludes(text, "cannot reach localhost");
    assertStringIncludes(text, "start a tunnel");
    assertStringIncludes(text, "Claude Code       ok");
    assertStringIncludes(text, "sign-in completed");
    assertStringIncludes(text, "server/discover, 2026-07-28");
    assertStringIncludes(text, "tools: names, hints and schemas");
    // The development issuer offers no RFC 7592 management: the output says what it left.
    assertMatch(text, /left .*registered/);
  });
  await t.step("as if public: every host ok", async () => {
    const probe = await diagnose(server.mcpUrl, { signIn: true, asPublic: true });
    assertEquals(verdicts(probe).filter((v) => v.verdict !== "ok"), [], report(probe));
  });
});

const CASES: [Flaw, string[], string][] = [
  ["relative resource_metadata", ["claude.ai", "Claude Code"], "resource_metadata is relative"],
  ["resource of another URL", ["claude.ai", "ChatGPT"], "names resource"],
  ["issuer mismatch", ["claude.ai", "MCP Inspector"], "issuer"],
  ["PKCE plain only", ["claude.ai", "Cursor / VS Code"], "without S256"],
  ["no registration", ["claude.ai", "ChatGPT", "Claude Code"], "no way to become a client"],
  ["2025 era only", ["Claude Code"], "2026-07-28 era is not served"],
  ["type-array schemas", ["Cursor / VS Code"], "some clients read badly"],
  ["no refresh token", ["claude.ai"], "refresh"],
  ["https redirects only", ["Claude Code", "Cursor / VS Code", "MCP Inspector"], "loopback"],
];

Deno.test("an issuer that registers only https redirects: local hosts fail, claude.ai does not", async () => {
  await using server = standIn("https redirects only");
  const probe = await diagnose(server.url, { asPublic: true });
  const of = (host: string) => verdicts(probe).find((r) => r.host === host)!.verdict;
  assertEquals([of("Claude Code"), of("MCP Inspector")], ["FAIL", "FAIL"], report(probe));
  assert(of("claude.ai") !== "FAIL", report(probe));
});

Deno.test("without --sign-in, refresh tokens are said to be unverified, not fine", async () => {
  await using server = standIn([]);
  const text = report(await diagnose(server.url, { asPublic: true }));
  assertStringIncludes(text, "not verified without --sign-in");
});

for (const [flaw, hosts, reason] of CASES) {
  Deno.test(`the doctor names the hosts a stand-in with ${flaw} breaks`, async () => {
    await using server = standIn(flaw);
    const probe = await diagnose(server.url, { asPublic: true });
    const text = report(probe);
    for (const host of hosts) {
      const row = verdicts(probe).find((r) => r.host === host)!;
      assert(row.verdict !== "ok", `${host} is ok with ${flaw}:\n${text}`);
      const line = hostLines(text).find((l) => l.startsWith(host))!;
      const named = row.findings.filter((f) => line.includes(f.check));
      assert(named.length === row.findings.length, `${line} names only some findings`);
      assertStringIncludes(text, reason);
    }
  });
}

Deno.test("the doctor shows a server's words quoted, never its control characters", async (t) => {
  const forged = "\u001b[2J\u001b[31m\u001b]0;owned\u0007\r\nClaude Code       ok\u202e";
  await t.step("a tool schema's property names, in the portability line", async () => {
    await using server = standIn({
      flaws: ["no sign-in"],
      hostile: (_req, _path, message) =>
        message?.method === "tools/list"
          ? Response.json({
            jsonrpc: "2.0",
            id: message.id,
            result: {
              tools: [{
                name: "probe\u009b2J",
                inputSchema: { type: "object", properties: { [forged]: { type: ["string"] } } },
                annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
              }],
            },
          })
          : undefined,
    });
    const { stdout } = await doctor(server.url, "--as-public");
    assert(!UNPRINTABLE.test(stdout), JSON.stringify(stdout));
    assertStringIncludes(stdout, "\\u001b[2J");
    assertEquals(hostLines(stdout).length, 5, stdout); // no forged host line
  });
  await t.step("--sign-in: the token answer's expires_in", async () => {
    await using server = standIn({
      flaws: ["no refresh token"],
      hostile: (req, path) =>
        path === "/token" && req.method === "POST"
          ? Response.json({
            access_token: STAND_IN_TOKEN,
            token_type: "Bearer",
            expires_in: forged,
          })
          : undefined,
    });
    const { stdout } = await doctor(server.url, "--sign-in", "--as-public");
    assertStringIncludes(stdout, "sign-in completed");
    assert(!UNPRINTABLE.test(stdout), JSON.stringify(stdout));
    assertStringIncludes(stdout, "\\u001b]0;owned");
  });
  await t.step("error texts: a registration refused in the server's words", async () => {
    await using server = standIn({
      hostile: (req, path) =>
        path === "/register" && req.method === "POST"
          ? Response.json({ error: "invalid_redirect_uri", error_description: forged }, {
            status: 400,
          })
          : undefined,
    });
    const { stdout } = await doctor(server.url, "--sign-in", "--as-public");
    assertStringIncludes(stdout, "400");
    assertStringIncludes(stdout, "invalid_redirect_uri");
    assertStringIncludes(stdout, "\\u001b[31m");
    assert(!UNPRINTABLE.test(stdout), JSON.stringify(stdout));
    assertEquals(hostLines(stdout).length, 5, stdout); // no forged host line
  });
});

/** A stand-in whose `tools/list` answers one tool with `inputSchema`, written as it is. */
function listingOne(inputSchema: string) {
  return standIn({
    flaws: ["no sign-in"],
    hostile: (_req, _path, message) =>
      message?.method === "tools/list"
        ? new Response(
          `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"tools":[{"name":` +
            `"probe","inputSchema":${inputSchema},"annotations":{"readOnlyHint":false,` +
            `"destructiveHint":false,"openWorldHint":false}}]}}`,
          { headers: { "content-type": "application/json" } },
        )
        : undefined,
  });
}

Deno.test("the doctor flags an argument that is a union of objects, naming LangChain", async () => {
  const variant = (type: string, field: string) => ({
    type: "object",
    properties: { type: { type: "string", const: type }, [field]: { type: "string" } },
    required: ["type", field],
    additionalProperties: false,
  });
  await using server = listingOne(JSON.stringify({
    type: "object",
    properties: { action: { oneOf: [variant("book", "at"), variant("cancel", "id")] } },
  }));
  const probe = await diagnose(server.url, { asPublic: true });
  const text = report(probe);
  const finding = probe.findings.find((f) => f.check === "argument unions");
  assert(finding, text);
  assertEquals(finding.hosts, [], "LangChain has no host line: a note");
  assertMatch(
    text,
    /note · argument unions: 1 tool argument is a union of objects \("probe: action"\)/,
  );
  assertStringIncludes(text, "LangChain's MCP adapter merges");
  assertStringIncludes(text, "fix: split each into one tool per variant, or one flat object");
  assert(!text.includes("tools: names, hints and schemas"), text);
});

Deno.test("the doctor reports a schema nested 20,000 deep as too deep, at once", async () => {
  // ≈ 420 KB, under the doctor's read cap: an unbounded walk overflows its stack long before.
  const depth = 20_000;
  await using server = listingOne(
    `${'{"properties":{"n":'.repeat(depth)}{"type":"string"}${"}}".repeat(depth)}`,
  );
  const started = performance.now();
  const probe = await diagnose(server.url, { asPublic: true });
  const text = report(probe);
  assert(performance.now() - started < 5_000, text);
  const finding = probe.findings.find((f) => f.check === "schema portability");
  assert(finding, text);
  assertMatch(text, /"probe\.properties\.n\.properties\.n[^"]*": nested more than 64 levels deep/);
  assertStringIncludes(text, "nest at most 64 levels");
});

Deno.test("the doctor reads a hostile sign-in page in time linear in its size", async () => {
  // `<form ` 64,000 times (384 KB, under the doctor's 1 MiB read cap): a backtracking parser
  // spends minutes of CPU here.
  await using server = standIn({
    hostile: (req, path) =>
      path === "/authorize" && req.method === "GET"
        ? new Response("<form ".repeat(64_000), { headers: { "content-type": "text/html" } })
        : undefined,
  });
  const { stdout, ms } = await doctor(server.url, "--sign-in", "--as-public");
  assertStringIncludes(stdout, "not the kit's development sign-in");
  assert(ms < 5_000, `the doctor took ${Math.round(ms)} ms`);
});

/** Answers `server/discover` with `response` (a fresh one each time). */
function discoverAnswers(response: () => Response): Hostile {
  return (_req, _path, message) => message?.method === "server/discover" ? response() : undefined;
}

Deno.test("the doctor reports any shape of answer, never a stack trace", async (t) => {
  const rpc = (body: unknown) => () => Response.json(body);
  const raw = (body: string, type: string) => () =>
    new Response(body, { headers: { "content-type": type } });
  const shapes: [string, () => Response, string][] = [
    [
      "a JSON-RPC error with HTTP 200",
      rpc({ jsonrpc: "2.0", id: 2, error: { code: -32601, message: "Method not found" } }),
      "Method not found",
    ],
    ["HTML", raw("<html><body>hello</body></html>", "text/html"), "not JSON"],
    ["an empty body", raw("", "application/json"), "empty"],
    [
      "an event stream without an answer",
      raw("event: message\ndata: nope\n\n", "text/event-stream"),
      "event stream",
    ],
    ["a result that is a string", rpc({ jsonrpc: "2.0", id: 2, result: "yes" }), "result"],
    ["an error that is a string", rpc({ jsonrpc: "2.0", id: 2, error: "boom" }), "boom"],
    ["a batch", rpc([{ jsonrpc: "2.0", id: 2, result: {} }]), "JSON-RPC"],
    ["null", rpc(null), "JSON-RPC"],
  ];
  for (const [shape, response, words] of shapes) {
    await t.step(`server/discover answered with ${shape}`, async () => {
      await using server = standIn({ flaws: ["no sign-in"], hostile: discoverAnswers(response) });
      const probe = await diagnose(server.url, { asPublic: true });
      const text = report(probe);
      const line = text.split("\n").find((l) => l.includes("server/discover") && l.includes(words));
      assert(line, text);
    });
  }
  await t.step("tools/list answered with tools of the wrong types", async () => {
    for (const tools of ["abc", [null, 1, "x"], { name: "probe" }]) {
      await using server = standIn({
        flaws: ["no sign-in"],
        hostile: (_req, _path, message) =>
          message?.method === "tools/list"
            ? Response.json({ jsonrpc: "2.0", id: message.id, result: { tools } })
            : undefined,
      });
      const probe = await diagnose(server.url, { asPublic: true });
      assertStringIncludes(report(probe), "tools/list", JSON.stringify(tools));
    }
  });
  await t.step("as a command: a report and exit 1, nothing on stderr", async () => {
    await using server = standIn({
      flaws: ["no sign-in"],
      hostile: discoverAnswers(
        rpc({ jsonrpc: "2.0", id: 2, error: { code: -32601, message: "Method not found" } }),
      ),
    });
    const { code, stdout, stderr } = await doctor(server.url, "--as-public");
    assertEquals(stderr, "");
    assertStringIncludes(stdout, "Method not found");
    assert(code === 0 || code === 1, `exit ${code}`);
  });
});

Deno.test("a redirect is a finding, and the doctor sends nothing to its target", async () => {
  const elsewhere: string[] = [];
  const target = Deno.serve({ hostname: "127.0.0.2", port: 0, onListen: () => {} }, (req) => {
    elsewhere.push(`${req.method} ${new URL(req.url).pathname}`);
    return new Response("internal");
  });
  try {
    const internal = `http://127.0.0.2:${target.addr.port}/internal`;
    const redirect = () => new Response(null, { status: 307, headers: { location: internal } });
    await using server = standIn({
      hostile: (_req, path) => path === "/mcp" ? redirect() : undefined,
    });
    const { code, stdout } = await doctor(server.url, "--sign-in", "--as-public");
    assertEquals(elsewhere, [], stdout);
    assertEquals(code, 1, stdout);
    assertStringIncludes(stdout, "307");
    assertStringIncludes(stdout, internal);
    await using registering = standIn({
      hostile: (_req, path) => path === "/register" ? redirect() : undefined,
    });
    const second = await doctor(registering.url, "--sign-in", "--as-public");
    assertEquals(elsewhere, [], second.stdout);
    assertStringIncludes(second.stdout, internal);
  } finally {
    await target.shutdown();
  }
});

Deno.test("a registration refused to the doctor is reported, and no host is ok", async () => {
  let registrations = 0;
  await using server = standIn({
    hostile: (req, path) => {
      if (path !== "/register" || req.method !== "POST" || ++registrations === 1) return undefined;
      return Response.json({
        error: "temporarily_unavailable",
        error_description: "Too many registrations from this address; retry in 3099 s",
      }, { status: 429, headers: { "retry-after": "3099" } });
    },
  });
  const { code, stdout } = await doctor(server.url, "--sign-in", "--as-public");
  assertStringIncludes(stdout, "429");
  assertStringIncludes(stdout, "Too many registrations from this address");
  const passed = stdout.split("\n").find((l) => l.startsWith("Passed:")) ?? "";
  assert(!passed.includes("registration"), passed);
  for (const line of hostLines(stdout)) assert(!/\sok$/.test(line), stdout);
  assertStringIncludes(stdout, "not checked");
  assert(code !== 0, `exit ${code}`);
});

Deno.test("the doctor goes on past a defect and lists every one, with its fix", async () => {
  await using server = standIn([
    "relative resource_metadata",
    "resource of another URL",
    "issuer with a trailing slash",
    "PKCE plain only",
    "no registration",
  ]);
  const { code, stdout } = await doctor(server.url, "--as-public");
  assertEquals(code, 1, stdout);
  const defects: [string, string, string][] = [
    ["401 challenge", "resource_metadata is relative", "absolute URL"],
    ["protected-resource metadata", "names resource", "exactly the connector URL"],
    ["authorization server", "trailing slash", "exactly the URL listed"],
    ["PKCE", "without S256", "S256"],
    ["client registration", "no way to become a client", "RFC 7591"],
  ];
  for (const [check, reason, fix] of defects) {
    assertStringIncludes(stdout, reason);
    assertStringIncludes(stdout, fix);
    for (const line of hostLines(stdout)) assertStringIncludes(line, check, stdout);
  }
});

Deno.test("the doctor deletes its clients where the issuer offers RFC 7592", async (t) => {
  await t.step(
    "offered: DELETE with the registration access token, after every check",
    async () => {
      await using server = standIn(["offers RFC 7592"]);
      const { stdout } = await doctor(server.url, "--sign-in", "--as-public");
      assertStringIncludes(stdout, "sign-in completed");
      const deletes = server.requests.filter((r) => r.method === "DELETE");
      assertEquals(deletes, [
        { method: "DELETE", path: "/register/1", authorization: "Bearer manage-1" },
        { method: "DELETE", path: "/register/2", authorization: "Bearer manage-2" },
        { method: "DELETE", path: "/register/3", authorization: "Bearer manage-3" },
      ]);
      const lastCall = server.requests.findLastIndex((r) => r.path === "/mcp");
      assert(lastCall < server.requests.findIndex((r) => r.method === "DELETE"));
      assertMatch(stdout, /deleted .*3 .*client/);
    },
  );
  await t.step("not offered: the output says what it left registered", async () => {
    await using server = standIn([]);
    const { stdout } = await doctor(server.url, "--sign-in", "--as-public");
    assertEquals(server.requests.filter((r) => r.method === "DELETE"), []);
    assertMatch(stdout, /left .*stand-in-client-1.*RFC 7592/);
    assertStringIncludes(stdout, "stand-in-client-2");
  });
});
