/**
 * Where a call's CPU goes: `deno run -A bench/profile.ts [TOOL] [ERA] [STORE]` (defaults
 * `domain_get_item 2025 postgres`). Starts the connector with the V8 inspector, warms it with wrk,
 * samples its main thread for 5 s of 16-connection load, and prints self time by package or
 * folder and by function.
 *
 * @module
 */
import { argumentsFor, openBackend, type Store } from "./lib/connector.ts";
import { type Era, once, toolCall } from "./lib/mcp.ts";
import { spawn } from "./lib/proc.ts";
import { wrk } from "./lib/wrk.ts";

const tool = Deno.args[0] ?? "domain_get_item";
const era = (Deno.args[1] ?? "2025") as Era;
const INSPECTOR = "127.0.0.1:9339";

/** A minimal DevTools-protocol client over the inspector's WebSocket. */
async function inspector(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve) => socket.onopen = resolve);
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  };
  return {
    send: (method: string, params = {}) =>
      new Promise<Record<string, unknown>>((resolve) => {
        pending.set(++id, resolve as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per key, as percentages of all samples, largest first. */
function top(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }) {
  const self = new Map<number, number>();
  profile.samples.forEach((node, i) =>
    self.set(node, (self.get(node) ?? 0) + profile.timeDeltas[i])
  );
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    total += time;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = (url || "(native)").replace(/.*node_modules\/\.deno\//, "npm:")
      .replace(/^file:\/\/.*?\/(src|bench|main\.ts)/, "$1");
    const fn = `${functionName || "(anonymous)"} ${file}:${lineNumber}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
    const place = file.startsWith("npm:")
      ? file.split("/")[0]
      : file.split("/").slice(0, 2).join("/");
    byPlace.set(place, (byPlace.get(place) ?? 0) + time);
  }
  const lines = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([key, time]) => `${(100 * time / total).toFixed(1).padStart(5)} %  ${key}`).join("\n");
  return { byPlace: lines(byPlace, 20), byFunction: lines(byFunction, 40) };
}

await using backend = await openBackend((Deno.args[2] ?? "postgres") as Store);
const server = await spawn(
  ["run", "-A", `--inspect=${INSPECTOR}`, "main.ts"],
  backend.env,
  /Connector URL\s+(\S+)\/mcp/,
);
try {
  const publicUrl = server.match[1];
  const mcpUrl = `${/listening on (http:\/\/\S+?)\.?$/m.exec(server.lines.join("\n"))![1]}/mcp`;
  const token = await backend.tokenFor(publicUrl, "profiled-reader");
  const request = (name: string, args: Record<string, unknown>) => {
    const call = toolCall(era, name, args);
    call.headers.authorization = `Bearer ${token}`;
    return call;
  };
  let session: string | undefined;
  while (!session) {
    try {
      const begun = await once(mcpUrl, request("begin_session", {}));
      session = begun.result?.isError ? undefined : begun.result?.structuredContent?.session?.token;
    } catch { /* still opening its store */ }
    if (!session) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const call = request(tool, argumentsFor(tool, session));
  await wrk(mcpUrl, call, 16, 3, {});
  const [target] = await (await fetch(`http://${INSPECTOR}/json/list`)).json();
  const devtools = await inspector(target.webSocketDebuggerUrl);
  await devtools.send("Profiler.enable");
  await devtools.send("Profiler.setSamplingInterval", { interval: 200 });
  await devtools.send("Profiler.start");
  const load = await wrk(mcpUrl, call, 16, 5, {});
  const { profile } = await devtools.send("Profiler.stop");
  devtools.close();
  const { byPlace, byFunction } = top(profile as Parameters<typeof top>[0]);
  console.log(`${tool}, ${era} era, 16 connections: ${load.requestsPerSecond} req/s (profiled)`);
  console.log(`--- self time by package or folder\n${byPlace}`);
  console.log(`--- self time by function\n${byFunction}`);
} finally {
  await server.stop();
}
