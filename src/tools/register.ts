/**
 * Every tool, registered in one place for one verified caller.
 *
 * @module
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { Identity } from "../auth/identity.ts";
import { registerConfigTools } from "./config.ts";
import { registerDomainTools } from "./domain.ts";
import type { ToolDependencies } from "./gate.ts";
import { registerHealthTool } from "./health.ts";
import { registerSessionTools } from "./session.ts";
import { registerUserTools } from "./user.ts";

/** Registers the whole tool surface on a fresh server for `identity`. */
export function registerTools(server: McpServer, deps: ToolDependencies, identity: Identity): void {
  registerHealthTool(server, identity);
  registerSessionTools(server, deps, identity);
  registerDomainTools(server, deps, identity);
  registerUserTools(server, deps, identity);
  registerConfigTools(server, deps, identity);
}
