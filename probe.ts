// ad-hoc: rps at c=1 for health / config_get_rules / domain_get_item
import { issueAccessToken } from "./src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "./src/signin/signing_key.ts";
const [origin, dataDir] = Deno.args;
const key = await loadOrCreateSigningKey(dataDir);
const token = await issueAccessToken(key, {
  issuer: origin.replace("127.0.0.1", "localhost"),
  audience: origin.replace("127.0.0.1", "localhost") + "/mcp",
  sub: "p",
  scope: "mcp",
  clientId: "x",
  ttlSeconds: 3600,
});
const h = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
  authorization: `Bearer ${token}`,
};
const call = async (name: string, args: Record<string, unknown>) => {
  const r = await fetch(origin + "/mcp", {
    method: "POST",
    headers: h,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name, arguments: args },
    }),
  });
  const t = await r.text();
  return JSON.parse(t.split("\n").find((l) => l.startsWith("data: "))!.slice(6));
};
const session = (await call("begin_session", {})).result.structuredContent.session.token;
for (
  const [name, args] of [["health", {}], ["config_get_rules", { session }], ["domain_get_item", {
    session,
    id: "a7",
  }]] as const
) {
  const n = 300;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call(name, args);
  console.log(name, ((performance.now() - t0) / n).toFixed(2), "ms/req sequential");
}
