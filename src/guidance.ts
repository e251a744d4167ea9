/**
 * The Reading Room's voice and house rules, from `seed/rules.md` and `seed/persona.md`.
 *
 * @module
 */

/** How the assistant should work here. */
export interface Guidance {
  rules: string;
  persona: string;
}

/** Reads the guidance files once at start-up. */
export async function loadGuidance(
  dir = new URL("../seed/", import.meta.url),
): Promise<Guidance> {
  const [rules, persona] = await Promise.all([
    Deno.readTextFile(new URL("rules.md", dir)),
    Deno.readTextFile(new URL("persona.md", dir)),
  ]);
  return { rules: rules.trim(), persona: persona.trim() };
}
