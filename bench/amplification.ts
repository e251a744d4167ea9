/**
 * What one signed-in person can make the server hold with exports: a person with a full history
 * (`HISTORY_MAX_BYTES`, 4 MiB by default) asks for it once, in a batch, and 100 times in parallel,
 * while another person searches. Prints bytes answered, refusals, the process's RSS growth and the
 * other person's slowest search.
 *
 *     deno run -A bench/amplification.ts
 *
 * The server runs in this process (PostgreSQL through the Neon driver and relay), so RSS is the
 * server's and the client's together; compare runs of the same script on two commits.
 *
 * @module
 */
import { openChat } from "../tests/helpers/mcp_client.ts";
import { startTestServer } from "../tests/helpers/server.ts";

const V2025 = { "mcp-protocol-version": "2025-11-25" };
const call = (id: number, name: string, args: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

await using server = await startTestServer({ MCP_MAX_OPEN_PER_PERSON: "8" });
const sub = `amplifier-${crypto.randomUUID()}`;
await using chat = await openChat(server, sub);
const { session } = await chat.begin();
// ≈ 70 saves of 60 KB: the history reaches its 4 MiB budget.
for (let i = 0; i < 70; i++) {
  await chat.call("user_save_state", { session, patch: { blob: `${i}`.padEnd(60_000, "z") } });
}
await using other = await openChat(server, `searcher-${crypto.randomUUID()}`);
const otherSession = (await other.begin()).session;
const auth = { authorization: `Bearer ${await server.mint({ sub })}`, ...V2025 };

const single = await (await server.post(call(1, "user_export", { session }), auth)).text();
console.log(`one export: ${mb(single.length)} answered`);

for (const size of [20, 40]) {
  const batch = Array.from({ length: size }, (_, i) => call(i, "user_export", { session }));
  const started = performance.now();
  const response = await server.post(batch, auth);
  const text = await response.text();
  console.log(
    `batch of ${size} exports (${
      mb(JSON.stringify(batch).length)
    } asked): HTTP ${response.status}, ` +
      `${mb(text.length)} answered in ${Math.round(performance.now() - started)} ms`,
  );
}

(globalThis as { gc?: () => void }).gc?.();
const rssBefore = Deno.memoryUsage().rss;
let peak = rssBefore;
const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 20);
let slowestSearch = 0;
let searching = true;
const searches = (async () => {
  while (searching) {
    const started = performance.now();
    await other.call("domain_search", { session: otherSession, query: "bread" });
    slowestSearch = Math.max(slowestSearch, performance.now() - started);
  }
})();
const started = performance.now();
const statuses = new Map<string, number>();
let bytes = 0;
await Promise.all(Array.from({ length: 100 }, async (_, i) => {
  const response = await server.post(call(i, "user_export", { session }), auth);
  const text = await response.text();
  bytes += text.length;
  const kind = response.status !== 200
    ? `HTTP ${response.status}`
    : text.includes("already running")
    ? "refused: already running"
    : text.includes('"isError":true')
    ? "failed"
    : "exported";
  statuses.set(kind, (statuses.get(kind) ?? 0) + 1);
}));
const elapsed = performance.now() - started;
searching = false;
await searches;
clearInterval(sampler);
console.log(
  `100 parallel exports: ${[...statuses].map(([k, n]) => `${n} ${k}`).join(", ")}; ` +
    `${mb(bytes)} answered in ${Math.round(elapsed)} ms; RSS +${mb(peak - rssBefore)} at peak; ` +
    `another person's slowest search meanwhile ${Math.round(slowestSearch)} ms`,
);
