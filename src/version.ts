/**
 * Identity of this build and the protocol revisions it serves.
 *
 * @module
 */
import manifest from "../deno.json" with { type: "json" };

/** This build's version, from deno.json. */
export const SERVER_VERSION: string = manifest.version;

/** The per-request (stateless) revision, served natively. */
export const MODERN_PROTOCOL_REVISION = "2026-07-28";

/**
 * The 2025-era revisions the SDK's stateless fallback answers (its `SUPPORTED_PROTOCOL_VERSIONS`,
 * written out so that starting the server does not load the SDK; `version_test.ts` holds them
 * equal).
 */
export const LEGACY_PROTOCOL_REVISIONS: readonly string[] = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
  "2024-10-07",
];

/** Every MCP revision this server answers: the modern one, then the 2025-era fallback ones. */
export const PROTOCOL_REVISIONS: readonly string[] = [
  MODERN_PROTOCOL_REVISION,
  ...LEGACY_PROTOCOL_REVISIONS,
];
