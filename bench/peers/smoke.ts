/**
 * `deno run -A --config deno.test.json bench/peers/smoke.ts [--duration SECONDS] [--readers N]`:
 * checks the peers end to end beside a connector on the local PostgreSQL and measures them briefly.
 *
 * Opens a `postgres` backend, starts the connector (which migrates the database) and signs
 * `--readers` people in (their `users` rows and tokens), installs the peers into a scratch
 * directory, and for each peer: one call with the first reader's token must carry that reader's
 * row, a call without a token must be 401, then wrk at 1 and 16 connections with the readers'
 * tokens in turn (answers checked for tool and JSON-RPC errors). The kit's own `user_get_profile`
 * on the same readers is printed last for reference.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  openBackend,
  type Reader,
  readersLua,
  signInReaders,
  startConnector,
} from "../lib/connector.ts";
import { type McpRequest, once } from "../lib/mcp.ts";
import {
  checkPeerAnswer,
  PEER_KINDS,
  PEER_TOOL,
  peerEnvFor,
  peerRequest,
  preparePeers,
  startPeer,
} from "../lib/peers.ts";
import { requireWrk, wrk } from "../lib/wrk.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "5" },
    readers: { type: "string", default: "8" },
  },
});
const DURATION = Number(flags.duration);

await requireWrk();
await using backend = await openBackend("postgres");
const us = await startConnector(backend);
try {
  const readers = await signInReaders(backend, us, Number(flags.readers));
  await using install = await preparePeers();
  const env = await peerEnvFor(backend, us);
  for (const kind of PEER_KINDS) {
    const peer = await startPeer(install, kind, env);
    try {
      checkPeerAnswer(await once(peer.url, peerRequest(readers[0].auth)), "bench-reader-0");
      const refused = await fetch(peer.url, { method: "POST", ...peerRequest() });
      await refused.body?.cancel();
      if (refused.status !== 401) {
        throw new Error(`${kind} answered ${refused.status} without a token`);
      }
      await measure(kind, peer.url, peerRequest(), readers, peer.pid);
    } finally {
      await peer.stop();
    }
  }
  // The kit's own call on the same readers: the body's `%s` becomes each reader's session.
  const ours = us.request("2025", PEER_TOOL, { session: "%s" });
  await measure("us", us.mcpUrl, ours, readers, us.pid);
} finally {
  await us.stop();
}

async function measure(
  name: string,
  url: string,
  request: McpRequest,
  readers: Reader[],
  pid: number,
): Promise<void> {
  for (const connections of [1, 16]) {
    const load = await wrk(url, request, connections, DURATION, {
      serverPid: pid,
      countToolErrors: true,
      extraLua: readersLua(readers, request.body),
    });
    console.log(
      `${name.padEnd(7)} c=${String(connections).padEnd(3)} ${
        String(load.requestsPerSecond).padStart(6)
      } req/s  p50 ${load.p50Ms.toFixed(2)} ms  p99 ${load.p99Ms.toFixed(2)} ms  ` +
        `CPU ${load.cpuUsPerCall} µs/call  errors ${load.errors}`,
    );
    if (load.errors > 0) throw new Error(`${name}: ${load.errors} errors under load`);
  }
}
