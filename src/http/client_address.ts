/**
 * Who is calling, as per-address limits count it.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/**
 * The caller as per-address limits count it (`Deno.serve` passes the peer as Hono's `env`): an IPv4
 * address (IPv4-mapped IPv6 unwrapped), or an IPv6 address's /64 prefix. One IPv6 subscriber
 * routinely holds a whole /64, so counting single IPv6 addresses would give one caller 2^64 keys.
 */
export function clientAddress(env: unknown): string {
  const addr = (env as Partial<Deno.ServeHandlerInfo> | undefined)?.remoteAddr;
  const host = addr && "hostname" in addr ? addr.hostname : undefined;
  if (!host) return "unknown";
  const bare = host.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return host;
  const parsed = ipaddr.process(bare);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(":")}::/64`;
}

/**
 * Whether the socket peer itself is on loopback (127.0.0.0/8, `::1`, or `::ffff:127.x`). Only the
 * peer `Deno.serve` reports counts, never a forwarded header: a remote caller can write any header,
 * so trusting one would let anyone claim to be local.
 */
export function isLoopbackPeer(env: unknown): boolean {
  const addr = (env as Partial<Deno.ServeHandlerInfo> | undefined)?.remoteAddr;
  const host = addr && "hostname" in addr ? addr.hostname : undefined;
  const bare = host?.replace(/^\[|\]$/g, "");
  return !!bare && ipaddr.isValid(bare) && ipaddr.process(bare).range() === "loopback";
}
