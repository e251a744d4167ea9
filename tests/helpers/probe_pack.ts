/**
 * A pack of one or two tools for tests of the kit itself: no tables, no content, a brand of its own.
 * Tests that plant a mistake in a tool build it here instead of bending a real pack.
 */
import { z } from "zod";
import {
  definePack,
  defineTool,
  type Pack,
  READ_ONLY,
  sessionArg,
  type ToolDefinition,
  withReminder,
} from "../../src/pack/mod.ts";

/** A harmless read tool; `overrides` plant whatever a test needs (a bad name, a missing access…). */
export function probeTool(overrides: Record<string, unknown> = {}): ToolDefinition {
  const tool = defineTool()({
    name: "domain_probe",
    title: "Probe",
    description: "A tool for tests.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: withReminder({ ok: z.boolean() }),
    annotations: READ_ONLY,
    access: "read",
    run: (_args, { reply }) => Promise.resolve(reply.success({ ok: true }, "ok")),
  });
  return { ...tool, ...overrides };
}

/** A pack serving `tools`, each with an empty example unless `examples` says otherwise. */
export function probePack(
  tools: ToolDefinition[] = [probeTool()],
  examples: Record<string, Record<string, unknown>> = Object.fromEntries(
    tools.map((tool) => [tool.name, {}]),
  ),
): Pack {
  return definePack({
    id: "probe",
    brand: {
      productName: "Probe Desk",
      serverName: "probe-desk",
      userNoun: "tester",
      memoryName: "probe memory",
      tagline: "A pack for tests",
      pitch: "answer probes",
      instructions: "Probe Desk: call begin_session first.",
      scopeDescription: "use the probe tools",
      firstRequest: "ask for a probe",
    },
    guidanceDir: new URL("../fixtures/probe_pack/", import.meta.url),
    migrations: [],
    createStore: () => ({}),
    tools,
    examples,
    export: () => Promise.resolve({}),
    forget: () => Promise.resolve(),
  });
}
