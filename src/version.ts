/**
 * Identity of this build and the protocol revisions it serves.
 *
 * @module
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/server";
import manifest from "../deno.json" with { type: "json" };

/** This build's version, from deno.json. */
export const SERVER_VERSION: string = manifest.version;

/** The per-request (stateless) revision, served natively. */
export const MODERN_PROTOCOL_REVISION = "2026-07-28";

/** Every MCP revision this server answers: the modern one, then the 2025-era fallback ones. */
export const PROTOCOL_REVISIONS: readonly string[] = [
  MODERN_PROTOCOL_REVISION,
  ...SUPPORTED_PROTOCOL_VERSIONS,
];
