/**
 * The tool registry: every tool, listed once. The MCP server registers from it for each request;
 * the landing page describes it, so the two never drift.
 *
 * @module
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { Identity } from "../auth/identity.ts";
import { noteToolCall } from "../observability/request_context.ts";
import { configTools } from "./config.ts";
import type { ToolDefinition } from "./definition.ts";
import { domainTools } from "./domain.ts";
import { gated, guarded, type ToolDependencies } from "./gate.ts";
import { healthTool } from "./health.ts";
import { precompiled } from "./precompiled_schema.ts";
import { rawArgumentProblem } from "./raw_arguments.ts";
import { refused } from "./results.ts";
import { sessionTools } from "./session.ts";
import { userTools } from "./user.ts";

/** Every tool, in the order hosts list them. */
export const TOOLS: readonly ToolDefinition[] = [
  ...sessionTools,
  ...domainTools,
  ...userTools,
  ...configTools,
  healthTool,
];

/** Schemas with their JSON Schema form computed once for the process, not once per request. */
const PREPARED = TOOLS.map((tool) => ({
  tool,
  inputSchema: precompiled(tool.inputSchema),
  outputSchema: precompiled(tool.outputSchema),
}));

/** Registers the whole tool surface on a fresh server for `identity`. */
export function registerTools(server: McpServer, deps: ToolDependencies, identity: Identity): void {
  const ctx = { deps, identity };
  for (const { tool, inputSchema, outputSchema } of PREPARED) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema,
        outputSchema,
        annotations: tool.annotations,
      },
      async (args: Record<string, unknown>) => {
        // Input that cannot be kept faithfully is the caller's to fix: refused before anything runs.
        const problem = rawArgumentProblem();
        const result = problem !== null
          ? refused(problem)
          : tool.gated
          ? await gated(deps, identity, args.session as string, () => tool.run(args, ctx), {
            readOnly: tool.annotations.readOnlyHint === true,
          })
          : await guarded(() => tool.run(args, ctx));
        noteToolCall(tool.name, result.isError === true);
        return result;
      },
    );
  }
}
