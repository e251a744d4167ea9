import { issueAccessToken } from "./src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "./src/signin/signing_key.ts";
const [origin, dataDir, name] = Deno.args;
const key = await loadOrCreateSigningKey(dataDir);
const token = await issueAccessToken(key, {
  issuer: origin,
  audience: origin + "/mcp",
  sub: "p",
  scope: "mcp",
  clientId: "x",
  ttlSeconds: 3600,
});
const h: Record<string, string> = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
  authorization: `Bearer ${token}`,
};
const body = (name: string, args: object) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name, arguments: args },
  });
const r = await fetch(origin + "/mcp", {
  method: "POST",
  headers: h,
  body: body("begin_session", {}),
});
const t = await r.text();
const session =
  JSON.parse(t.split("\n").find((l) => l.startsWith("data: "))!.slice(6)).result.structuredContent
    .session.token;
const args = name === "domain_get_item"
  ? { session, id: "a7" }
  : name === "health"
  ? {}
  : { session };
console.log(
  `wrk.method = "POST"\nwrk.body = [==[${body(name, args)}]==]\n` +
    Object.entries(h).map(([k, v]) => `wrk.headers["${k}"] = [==[${v}]==]`).join("\n"),
);
