/**
 * The doctor's one way to make a request (`scripts/doctor/http.ts`): no redirect followed by
 * itself, a metadata redirect followed only where a metadata link would be, and no answer —
 * refused, oversized, redirected — that throws.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { answered, getDocument, rpcOutcome, send } from "../../../scripts/doctor/http.ts";
import { newProbe } from "../../../scripts/doctor/probe.ts";
import { rendered } from "../../../scripts/doctor/report.ts";

/** A loopback server at `hostname` that records what reaches it. */
function recorder(hostname: string, answer: (req: Request) => Response) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname, port: 0, onListen: () => {} }, async (req) => {
    seen.push(`${req.method} ${new URL(req.url).pathname}`);
    await req.body?.cancel();
    return answer(req);
  });
  return {
    seen,
    origin: `http://${hostname}:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("a metadata redirect is followed only where a metadata link would be", async (t) => {
  await using inside = recorder("127.0.0.2", () => Response.json({ secret: true }));
  await using redirecting = recorder(
    "127.0.0.1",
    () => new Response(null, { status: 302, headers: { location: `${inside.origin}/secret` } }),
  );
  const url = `${redirecting.origin}/.well-known/oauth-protected-resource`;
  await t.step("from a public server: not to a private address", async () => {
    const probe = newProbe("https://connector.example/mcp");
    const answer = await getDocument(probe, url, "protected-resource metadata");
    assertEquals(answer.status, 302);
    assertEquals(inside.seen, []);
    assertStringIncludes(
      rendered(answered(probe, answer)),
      "a private address, from a public server",
    );
  });
  await t.step("from a private one: followed, and noted", async () => {
    const probe = newProbe(`${redirecting.origin}/mcp`);
    const answer = await getDocument(probe, url, "protected-resource metadata");
    assertEquals(answer.status, 200);
    assertEquals(inside.seen, ["GET /secret"]);
    assertStringIncludes(rendered(probe.findings[0].reason), "a redirect to");
  });
});

Deno.test("send never follows a redirect and never throws", async (t) => {
  await using inside = recorder("127.0.0.2", () => new Response("inside"));
  await using redirecting = recorder(
    "127.0.0.1",
    () => new Response(null, { status: 307, headers: { location: `${inside.origin}/x` } }),
  );
  for (const method of ["POST", "OPTIONS", "DELETE", "GET"]) {
    await t.step(`${method}: the 307 is the answer`, async () => {
      const answer = await send(`${redirecting.origin}/mcp`, {
        method,
        body: method === "POST" ? "{}" : undefined,
      });
      assertEquals(answer.status, 307);
    });
  }
  assertEquals(inside.seen, []);
  await t.step("nothing listening: status 0, with why", async () => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = closed.addr.port;
    closed.close();
    const answer = await send(`http://127.0.0.1:${port}/mcp`);
    assertEquals(answer.status, 0);
    assert(answer.error);
  });
  await t.step("an answer over 1 MiB: read no further, said so", async () => {
    await using big = recorder("127.0.0.1", () => new Response("x".repeat(2 * 1024 * 1024)));
    const answer = await send(`${big.origin}/big`);
    assertEquals(answer.status, 200);
    assertStringIncludes(answer.error ?? "", "over");
    const outcome = rpcOutcome(newProbe(big.origin), answer);
    assert("problem" in outcome);
    assertStringIncludes(rendered(outcome.problem), "could not be read");
  });
});
