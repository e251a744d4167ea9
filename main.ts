/**
 * Entry point: read the configuration, pick the domain pack, start the server, say how to connect,
 * and shut down gracefully on SIGINT/SIGTERM.
 *
 * @module
 */
import { selectPack } from "./src/domains/registry.ts";
import { reachOf } from "./src/reach/hosts.ts";
import { describeStartupError, StartupError } from "./src/errors.ts";
import { installLastResortGuard } from "./src/observability/last_resort.ts";
import { flushLogLines } from "./src/observability/log_output.ts";
import { startServer } from "./src/server.ts";

/**
 * After the drain (`SHUTDOWN_DRAIN_MS`), requests in flight get this long to finish; any still
 * unanswered then is answered 503 with Retry-After. With the default drain every request has its
 * answer 3.5 s after the signal: Deno Deploy allows 5 s.
 */
const SHUTDOWN_FINISH_MS = 2_000;
/** Closing the stores and writing the last lines get this long; then the process exits anyway. */
const SHUTDOWN_CLOSE_MS = 1_000;

let server;
try {
  server = await startServer({ choosePack: selectPack });
} catch (error) {
  // A start that fails says why and exits non-zero: a supervisor (or a builder) must see it.
  console.error(
    error instanceof StartupError
      ? describeStartupError(error)
      : `Cannot start: ${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }`,
  );
  Deno.exit(1);
}
// Once serving, a stray rejection in one request must not end the process for everyone (logged by
// name only).
installLastResortGuard();

const { config, listening } = server;
const issuer = config.auth.kind === "development"
  ? "development sign-in (built in; anyone can sign in as anyone — local use only)"
  : config.auth.issuer;
const { brand } = server;
// Which hosts can use the URL as it is (claude.ai and ChatGPT connect from their own servers).
const unreachable = reachOf(config.resourceUrl).filter((r) => !r.ok);
const reachLine = unreachable.length === 0
  ? ""
  : `Reach: ${unreachable.map((r) => r.host).join(" and ")} cannot use this URL (${
    unreachable.map((r) => r.reason).join("; ")
  }).
  To use them, ${unreachable[0].fix}. Hosts on this machine use it as is.

`;
// Mint reads the issuer this server recorded in its data directory: DATA_DIR is all it needs.
const mintCommand = `${
  config.dataDir === ".data" ? "" : `DATA_DIR=${config.dataDir} `
}deno task mint --sub alice`;
console.log(
  `${brand.productName} connector is listening on http://${listening.hostname}:${listening.port}.

  Connector URL   ${config.resourceUrl}      <- paste this one URL into your MCP host
  Issuer          ${issuer}
  About page      ${config.publicUrl}/

${
    config.auth.kind === "development"
      ? `Try the door with a token:
  TOKEN=$(${mintCommand})     # an access token for this server`
      : `Try the door with a token from your issuer (${config.auth.issuer}; deno task mint's are
  refused here), issued for ${config.resourceUrl}:
  TOKEN=<an access token>`
  }
  curl -i -X POST ${config.resourceUrl} -H "Authorization: Bearer $TOKEN" \\
    -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \\
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

${reachLine}Connect a host (it opens the sign-in page for you):
  Claude Code     claude mcp add --transport http ${brand.serverName} ${config.resourceUrl}
                  then /mcp in Claude Code and choose Authenticate
  MCP Inspector   npx @modelcontextprotocol/inspector   (Streamable HTTP, URL above,
                  then Open Auth Settings → Quick OAuth Flow)
`,
);

let stopping = false;
const stop = async (signal: string) => {
  const time = new Date().toISOString();
  if (stopping) {
    // A second signal (a supervisor repeating itself, Ctrl-C twice) changes nothing: cutting the
    // drain short would drop the requests it protects, and the bound below holds anyway.
    console.log(JSON.stringify({ time, level: "info", msg: "already shutting down", signal }));
    return;
  }
  stopping = true;
  flushLogLines();
  const drainMs = config.shutdownDrainMs;
  console.log(JSON.stringify({ time, level: "info", msg: "shutting down", signal, drainMs }));
  const answerWithinMs = drainMs + SHUTDOWN_FINISH_MS;
  const timer = setTimeout(() => {
    flushLogLines();
    console.error(JSON.stringify({ level: "error", msg: "shutdown grace period over; exiting" }));
    Deno.exit(1);
  }, answerWithinMs + SHUTDOWN_CLOSE_MS);
  await server.shutdown({ drainMs, answerWithinMs });
  clearTimeout(timer);
  flushLogLines();
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "stopped" }));
  Deno.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(signal, () => void stop(signal));
  } catch {
    // Platforms without process signals (Deno Deploy) manage the lifecycle themselves.
  }
}
