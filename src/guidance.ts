/**
 * A pack's voice and house rules, from `rules.md` and `persona.md` in its guidance folder.
 *
 * @module
 */

/** How the assistant should work here. */
export interface Guidance {
  rules: string;
  persona: string;
}

/** Reads the guidance files once at start-up. */
export async function loadGuidance(dir: URL): Promise<Guidance> {
  const [rules, persona] = await Promise.all([
    Deno.readTextFile(new URL("rules.md", dir)),
    Deno.readTextFile(new URL("persona.md", dir)),
  ]);
  return { rules: rules.trim(), persona: persona.trim() };
}
