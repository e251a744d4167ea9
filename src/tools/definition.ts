/**
 * A tool as data: name, model-facing text, schemas, annotations, whether it needs a session, and
 * what it does. The registry lists these once; the MCP server and the landing page both read it.
 *
 * @module
 */
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { Identity } from "../auth/identity.ts";
import type { ToolDependencies } from "./gate.ts";

/** What a tool runs with: the shared dependencies and the verified caller. */
export interface ToolContext {
  deps: ToolDependencies;
  identity: Identity;
}

/** One tool. */
export interface ToolDefinition<
  In extends z.ZodObject = z.ZodObject,
  Out extends z.ZodObject = z.ZodObject,
> {
  name: string;
  title: string;
  /** Written for a model: when to call it and what comes back. */
  description: string;
  inputSchema: In;
  outputSchema: Out;
  annotations: ToolAnnotations;
  /** Whether the `session` argument must name a valid session of the caller. */
  gated: boolean;
  run(args: z.infer<In>, ctx: ToolContext): Promise<CallToolResult>;
}

/** Declares a tool with its argument types inferred from its input schema. */
export function defineTool<In extends z.ZodObject, Out extends z.ZodObject>(
  definition: ToolDefinition<In, Out>,
): ToolDefinition {
  return definition as unknown as ToolDefinition;
}
