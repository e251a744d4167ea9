/**
 * `health`: the one tool that needs no reading session — a liveness answer a model (or a person
 * with MCP Inspector) can call to see that the connector is up and who it thinks is calling.
 *
 * @module
 */
import { z } from "zod";
import { PROTOCOL_REVISIONS, SERVER_NAME, SERVER_VERSION } from "../version.ts";
import { defineTool } from "./definition.ts";
import { READ_ONLY } from "./schemas.ts";

const HealthOutput = z.object({
  status: z.literal("ok"),
  name: z.string(),
  version: z.string(),
  protocolRevisions: z.array(z.string()).describe("MCP revisions this server serves"),
  serverTime: z.string().describe("Current server time, ISO 8601 UTC"),
  signedInAs: z.string().describe("The verified subject of the caller's access token"),
});

/** `health`. */
export const healthTool = defineTool({
  name: "health",
  title: "Connector health",
  description: "Reports whether the Reading Room connector is up: its version, the MCP protocol " +
    "revisions it serves, the server time, and which signed-in reader the connection belongs to. " +
    "Needs no session; use it to check the connection.",
  inputSchema: z.object({}).strict(),
  outputSchema: HealthOutput,
  annotations: READ_ONLY,
  gated: false,
  run: (_args, { identity }) => {
    const output: z.infer<typeof HealthOutput> = {
      status: "ok",
      name: SERVER_NAME,
      version: SERVER_VERSION,
      protocolRevisions: [...PROTOCOL_REVISIONS],
      serverTime: new Date().toISOString(),
      signedInAs: identity.sub,
    };
    return Promise.resolve({
      content: [{
        type: "text",
        text: `Reading Room ${output.version} is up (revisions ${
          output.protocolRevisions.join(", ")
        }); signed in as ${output.signedInAs}; server time ${output.serverTime}.`,
      }],
      structuredContent: output,
    });
  },
});
