import { assertEquals } from "@std/assert";
import { loadGuidance, PLACEHOLDER_MARK } from "./guidance.ts";

Deno.test("guidance: comments never reach the model, closed or not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/rules.md`,
      `# Rules\n\n<!-- ${PLACEHOLDER_MARK}: write here -->\n- Be kind.\n<!-- left open`,
    );
    await Deno.writeTextFile(`${dir}/persona.md`, "Plain.\n");
    const loaded = await loadGuidance(new URL(`file://${dir}/`));
    assertEquals(loaded.rules, "# Rules\n\n- Be kind.");
    assertEquals(loaded.persona, "Plain.");
    assertEquals(loaded.placeholders, [`${dir}/rules.md`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
