/**
 * `health`: the one tool that needs no session — a liveness answer a model (or a person with MCP
 * Inspector) can call to see that the connector is up, whether its stores answer, and who it thinks
 * is calling. It answers even while the stores are down: that is when it is needed.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../pack/mod.ts";
import { READ_ONLY } from "../../pack/kit_side.ts";
import { CHECK_WORDS, KV_REPLACED_WORDS } from "../../health/readiness.ts";
import { PROTOCOL_REVISIONS, SERVER_VERSION } from "../../version.ts";
import { defineKitTool, type KitToolDefinition } from "../kit_tool.ts";

const Check = z.enum(["ok", "failed", "timeout", "schema"]);

const HealthOutput = z.object({
  status: z.enum(["ok", "degraded"]).describe("degraded: a store is not answering"),
  name: z.string(),
  version: z.string(),
  protocolRevisions: z.array(z.string()).describe("MCP revisions this server serves"),
  serverTime: z.string().describe("Current server time, ISO 8601 UTC"),
  signedInAs: z.string().describe("The verified subject of the caller's access token"),
  stores: z.object({ database: Check, sessions: Check }).describe(
    "Whether the database and the session store answer within their deadline",
  ),
  sessionsReplacedAt: z.string().optional().describe(
    "Within a minute of it: when the session store's file was found replaced (reopened and " +
      "working; sessions begun before are gone)",
  ),
});

/** `health`, in `brand`'s words. */
export function healthTool(brand: PackBrand): KitToolDefinition {
  return defineKitTool({
    name: "health",
    title: "Connector health",
    description: `Reports whether the ${brand.productName} connector is up: its version, the MCP ` +
      "protocol revisions it serves, the server time, whether its database and session store " +
      `answer, and which signed-in ${brand.userNoun} the connection belongs to. Needs no session; ` +
      "use it to check the connection.",
    inputSchema: z.object({}).strict(),
    outputSchema: HealthOutput,
    annotations: READ_ONLY,
    access: "read",
    session: "none",
    run: async (_args, { core, identity }) => {
      const { checks, kvReplacedAt } = await core.readiness();
      const output: z.infer<typeof HealthOutput> = {
        status: checks.database === "ok" && checks.kv === "ok" ? "ok" : "degraded",
        name: brand.serverName,
        version: SERVER_VERSION,
        protocolRevisions: [...PROTOCOL_REVISIONS],
        serverTime: new Date().toISOString(),
        signedInAs: identity.sub,
        stores: { database: checks.database, sessions: checks.kv },
        ...(kvReplacedAt ? { sessionsReplacedAt: kvReplacedAt } : {}),
      };
      const state = output.status === "ok" ? "is up" : "is up, but cannot serve sessions right now";
      return {
        content: [{
          type: "text",
          text: `${brand.productName} ${output.version} ${state} (revisions ${
            output.protocolRevisions.join(", ")
          }); database ${CHECK_WORDS[checks.database]}, session store ${CHECK_WORDS[checks.kv]}${
            kvReplacedAt ? ` (it ${KV_REPLACED_WORDS})` : ""
          }; signed in as ${output.signedInAs}; server time ${output.serverTime}.`,
        }],
        structuredContent: output,
      };
    },
  });
}
