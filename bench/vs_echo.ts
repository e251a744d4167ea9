/**
 * The headline ratio, interleaved: `deno run -A bench/vs_echo.ts [TOOL] [ROUNDS] [CONNECTIONS]`
 * (defaults `user_get_profile`, 6, 16). The SDK echo server and the connector (PostgreSQL) run side
 * by side, both warmed in each era first; each round runs 3 s of wrk against the echo, then 3 s against us, in one era, eras
 * alternating; printed are each side's req/s and CPU µs per call, the ratio of each round, and the
 * medians of the ratios per era. On a machine whose speed drifts over minutes (this one does, by up
 * to 2× between runs of `deno task bench`), a ratio taken seconds apart is the one to trust.
 *
 * @module
 */
import { argumentsFor, openBackend, startConnector } from "./lib/connector.ts";
import { type Era, ERAS, once, toolCall } from "./lib/mcp.ts";
import { spawn } from "./lib/proc.ts";
import { wrk } from "./lib/wrk.ts";

const tool = Deno.args[0] ?? "user_get_profile";
const rounds = Number(Deno.args[1] ?? 6);
const connections = Number(Deno.args[2] ?? 16);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

const ratios: Record<Era, { rps: number[]; cpu: number[] }> = {
  "2025": { rps: [], cpu: [] },
  "2026": { rps: [], cpu: [] },
};
{
  await using backend = await openBackend("postgres");
  const us = await startConnector(backend);
  const echo = await spawn(["run", "-A", "bench/servers/sdk_echo.ts"], {}, /listening on (\S+)/);
  try {
    const args = argumentsFor(tool, us.session);
    // Both warmed first, each era: the echo's JIT, like ours, needs a few thousand calls.
    for (const era of ERAS) {
      const echoRequest = toolCall(era, "echo", { message: "hi" });
      await wrk(`${echo.match[1]}/`, echoRequest, connections, 5, { serverPid: echo.child.pid });
      await wrk(us.mcpUrl, us.request(era, tool, args), connections, 5, { serverPid: us.pid });
    }
    for (let round = 0; round < rounds; round++) {
      const era = ERAS[round % ERAS.length];
      const echoRequest = toolCall(era, "echo", { message: "hi" });
      await once(`${echo.match[1]}/`, echoRequest);
      const peer = await wrk(`${echo.match[1]}/`, echoRequest, connections, 3, {
        serverPid: echo.child.pid,
        countToolErrors: true,
      });
      const ours = await wrk(us.mcpUrl, us.request(era, tool, args), connections, 3, {
        serverPid: us.pid,
        countToolErrors: true,
      });
      const rps = ours.requestsPerSecond / peer.requestsPerSecond;
      const cpu = (ours.cpuUsPerCall ?? 0) / (peer.cpuUsPerCall ?? 1);
      ratios[era].rps.push(rps);
      ratios[era].cpu.push(cpu);
      console.log(
        `${era} c=${connections}: echo ${peer.requestsPerSecond} req/s ${peer.cpuUsPerCall} µs; ` +
          `us ${ours.requestsPerSecond} req/s ${ours.cpuUsPerCall} µs; ratio ${rps.toFixed(2)}×, ` +
          `CPU ${cpu.toFixed(2)}×`,
      );
    }
  } finally {
    await echo.stop();
    await us.stop();
  }
}
for (const era of ERAS) {
  const { rps, cpu } = ratios[era];
  if (rps.length === 0) continue;
  console.log(
    `${tool} ${era} c=${connections}: us/echo req/s median ${median(rps).toFixed(2)}×, ` +
      `CPU µs/call median ${median(cpu).toFixed(2)}× (${rps.length} rounds)`,
  );
}
