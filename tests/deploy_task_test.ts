import { assertEquals, assertStringIncludes } from "@std/assert";

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
