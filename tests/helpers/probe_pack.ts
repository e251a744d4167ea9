/**
 * A pack of one or two tools for tests of the kit itself: no tables, no content, a brand of its own.
 * Tests that plant a mistake in a tool build it here instead of bending a real pack.
 */
import { z } from "zod";
import {
  definePack,
  defineTool,
  type Migration,
  type Pack,
  type SessionContribution,
  type SqlClient,
  type SqlTransaction,
  type ToolDefinition,
} from "../../src/pack/mod.ts";

/** A harmless read tool; `overrides` plant whatever a test needs (a bad name, a missing access…). */
export function probeTool(overrides: Record<string, unknown> = {}): ToolDefinition {
  const tool = defineTool()({
    name: "domain_probe",
    title: "Probe",
    description: "A tool for tests.",
    access: "read",
    inputSchema: z.object({}),
    outputSchema: z.object({ ok: z.boolean() }),
    example: {},
    run: (_args, { reply }) => Promise.resolve(reply.success({ ok: true }, "ok")),
  });
  return { ...tool, ...overrides };
}

/** What a test may give a probe pack besides its tools. */
export interface ProbeOptions<Store> {
  migrations?: Migration[];
  createStore?: (sql: SqlClient) => Store;
  export?: (store: Store, sub: string) => Promise<Record<string, unknown>>;
  forget?: (tx: SqlTransaction, sub: string) => Promise<void>;
  session?: SessionContribution<Store>;
  guidanceDir?: URL;
}

/** A pack serving `tools`; no tables and an empty store unless the options give them. */
export function probePack<Store = Record<string, never>>(
  tools: ToolDefinition<Store>[] = [probeTool() as ToolDefinition<Store>],
  options: ProbeOptions<Store> = {},
): Pack {
  return definePack<Store>({
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
    guidanceDir: options.guidanceDir ?? new URL("../fixtures/probe_pack/", import.meta.url),
    migrations: options.migrations ?? [],
    createStore: options.createStore ?? (() => ({}) as Store),
    tools,
    export: options.export ?? (() => Promise.resolve({})),
    forget: options.forget ?? (() => Promise.resolve()),
    ...(options.session ? { session: options.session } : {}),
  });
}
