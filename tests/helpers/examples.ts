/**
 * A pack's example calls, as the contract tests walk them: each tool's own `example`.
 *
 * @module
 */
import type { Pack } from "../../src/pack/mod.ts";

/** `[tool name, example arguments]` for every tool of `pack`, in its order. */
export function examplesOf(pack: Pick<Pack, "tools">): [string, Record<string, unknown>][] {
  return pack.tools.map((tool) => [tool.name, tool.example]);
}

/** The example arguments of `pack`'s tool `name` (throws when it has no such tool). */
export function exampleOf(pack: Pick<Pack, "id" | "tools">, name: string): Record<string, unknown> {
  const tool = pack.tools.find((t) => t.name === name);
  if (!tool) throw new Error(`pack "${pack.id}" has no tool "${name}"`);
  return tool.example;
}
