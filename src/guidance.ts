/**
 * A pack's voice and house rules, from `rules.md` and `persona.md` in its guidance folder.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { StartupError } from "./errors.ts";

/** How the assistant should work here. */
export interface Guidance {
  rules: string;
  persona: string;
}

/**
 * The mark `deno task new-domain` leaves in the comments of the guidance it writes: a file that
 * still carries it has not been written for the pack yet.
 */
export const PLACEHOLDER_MARK = "kit:placeholder";

/** The pack's guidance is still the generator's placeholder (refused in production). */
export class PlaceholderGuidanceError extends StartupError<"placeholder_guidance"> {}

/** What {@linkcode loadGuidance} found. */
export interface LoadedGuidance extends Guidance {
  /** Files still carrying the {@linkcode PLACEHOLDER_MARK}, as paths. */
  placeholders: string[];
}

/**
 * Reads the guidance files once at start-up. HTML comments (notes to the builder) are left out:
 * the model receives the text only.
 */
export async function loadGuidance(dir: URL): Promise<LoadedGuidance> {
  const files = ["rules.md", "persona.md"].map((name) => new URL(name, dir));
  const [rules, persona] = await Promise.all(files.map((file) => Deno.readTextFile(file)));
  const placeholders = files.filter((_, i) => [rules, persona][i].includes(PLACEHOLDER_MARK))
    .map((file) => fileURLToPath(file));
  return { rules: withoutComments(rules), persona: withoutComments(persona), placeholders };
}

/** What a start with placeholder guidance says, naming the files. */
export function placeholderProblem(placeholders: readonly string[]): string {
  return `the pack's guidance is still the generator's placeholder: ${placeholders.join(", ")}. ` +
    "Write the house rules and the voice there, in words the model can relay, and delete the " +
    `comment that carries "${PLACEHOLDER_MARK}".`;
}

function withoutComments(text: string): string {
  // An unclosed comment hides the rest of the file, as a Markdown renderer would.
  return text.replace(/<!--[\s\S]*?(-->\n?|$)/g, "").replace(/\n{3,}/g, "\n\n").trim();
}
