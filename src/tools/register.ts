/**
 * Every tool, registered in one place for one verified caller.
 *
 * @module
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { Identity } from "../auth/identity.ts";
import { registerHealthTool } from "./health.ts";

/** Registers the whole tool surface on a fresh server for `identity`. */
export function registerTools(server: McpServer, identity: Identity): void {
  registerHealthTool(server, identity);
}
