import { assertEquals, assertStringIncludes } from "@std/assert";
import { startFakeIssuer } from "./helpers/fake_issuer.ts";

Deno.test("deno task deploy stops before deploying when production settings are incomplete", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "deploy", "--prod"],
    env: { PUBLIC_URL: "http://not-https.example.com", SESSION_SIGNING_SECRET: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assertEquals(code, 1);
  for (const variable of ["SESSION_SIGNING_SECRET", "DATABASE_URL", "PUBLIC_URL", "AUTH_ISSUER"]) {
    assertStringIncludes(text, variable);
  }
  assertStringIncludes(text, "deno deploy env add");
});

Deno.test("deno task deploy stops when AUTH_ISSUER is not what the issuer calls itself", async () => {
  await using issuer = await startFakeIssuer();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "deploy", "--prod"],
    env: {
      PUBLIC_URL: "https://connector.example.com",
      SESSION_SIGNING_SECRET: "a-production-secret-of-at-least-32-chars",
      DATABASE_URL: "postgres://u@db.example.com/neondb",
      AUTH_ISSUER: `${issuer.issuer}/`,
      DENO_CERT: new URL("./fixtures/tls/ca.pem", import.meta.url).pathname,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assertEquals(code, 1, text);
  assertStringIncludes(text, `AUTH_ISSUER is "${issuer.issuer}/"`);
  assertStringIncludes(text, `set AUTH_ISSUER=${issuer.issuer}`);
});
