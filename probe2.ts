import { issueAccessToken } from "./src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "./src/signin/signing_key.ts";
const [origin, dataDir, name, seconds] = Deno.args;
const key = await loadOrCreateSigningKey(dataDir);
const token = await issueAccessToken(key, {
  issuer: origin,
  audience: origin + "/mcp",
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
const end = performance.now() + Number(seconds) * 1000;
let n = 0;
while (performance.now() < end) {
  await call(name, { session, ...(name === "domain_get_item" ? { id: "a7" } : {}) });
  n++;
}
console.log(name, n, "requests");
