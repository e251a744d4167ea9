import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { clientSecretFor } from "./derived_secrets.ts";
import { loadOrCreateSigningKey, publicJwks, SIGNING_KEY_FILE } from "./signing_key.ts";

Deno.test("the development signing key is created once and persisted", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const dataDir = join(dir, "nested", "data");
    const first = await loadOrCreateSigningKey(dataDir);
    await t.step("the file is private to its owner", async () => {
      assertEquals((await Deno.stat(join(dataDir, SIGNING_KEY_FILE))).mode! & 0o777, 0o600);
    });
    await t.step("a restart loads the same key", async () => {
      const again = await loadOrCreateSigningKey(dataDir);
      assertEquals(again.kid, first.kid);
      assertEquals(again.publicJwk, first.publicJwk);
    });
    await t.step("concurrent first starts agree on one key", async () => {
      const fresh = join(dir, "race");
      const keys = await Promise.all(
        Array.from({ length: 8 }, () => loadOrCreateSigningKey(fresh)),
      );
      assertEquals(new Set(keys.map((k) => k.kid)).size, 1);
    });
    await t.step("another data dir gets another key", async () => {
      assertNotEquals((await loadOrCreateSigningKey(join(dir, "other"))).kid, first.kid);
    });
    await t.step("client secrets survive a restart and differ per key", async () => {
      const again = await loadOrCreateSigningKey(dataDir);
      const secret = await clientSecretFor(first.secretsKey, "kit-x");
      assertEquals(await clientSecretFor(again.secretsKey, "kit-x"), secret);
      const other = await loadOrCreateSigningKey(join(dir, "other"));
      assertNotEquals(await clientSecretFor(other.secretsKey, "kit-x"), secret);
    });
    await t.step("the derived secrets key cannot be exported", async () => {
      assertEquals(first.secretsKey.extractable, false);
      await assertRejects(() => crypto.subtle.exportKey("raw", first.secretsKey));
    });
    await t.step("the published JWKS has no private part", () => {
      const [jwk] = publicJwks(first).keys;
      assertEquals(Object.keys(jwk).sort(), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    });
    await t.step("a damaged key file stops start-up with a clear error", async () => {
      const broken = join(dir, "broken");
      await Deno.mkdir(broken);
      await Deno.writeTextFile(
        join(broken, SIGNING_KEY_FILE),
        JSON.stringify({ kty: "oct", k: "x" }),
      );
      await assertRejects(() => loadOrCreateSigningKey(broken), Error, "P-256 private key");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
