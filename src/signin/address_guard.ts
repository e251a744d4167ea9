/**
 * SSRF guard for outbound fetches whose URL comes from a caller (client metadata documents): the
 * host must resolve only to public unicast addresses, so a `client_id` cannot make this server
 * read its own loopback services, the cloud metadata endpoint or the private network.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/** Whether `address` (IPv4 or IPv6 literal) is public unicast. IPv4-mapped IPv6 is unwrapped. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed.range() !== "unicast") return false;
  // Global unicast IPv6 is 2000::/3; anything else ipaddr.js calls "unicast" (e.g. the deprecated
  // IPv4-compatible ::a.b.c.d) is not a public address.
  if (parsed.kind() === "ipv6") return (parsed as ipaddr.IPv6).parts[0] >> 13 === 1;
  return true;
}

/**
 * Resolves `hostname` and returns why fetching from it is refused, or `null` when every address
 * it resolves to is public (or the host is on the explicit development allowlist).
 *
 * A residual race remains (the fetch resolves again); redirects are refused by the caller so a
 * public host cannot bounce the request inward.
 */
export async function outboundHostProblem(
  hostname: string,
  allowlist: readonly string[],
): Promise<string | null> {
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (allowlist.includes(hostname) || allowlist.includes(bare)) return null;
  if (ipaddr.isValid(bare)) {
    return isPublicAddress(bare) ? null : "points at a private, loopback or reserved address";
  }
  const answers = await Promise.allSettled([
    Deno.resolveDns(bare, "A"),
    Deno.resolveDns(bare, "AAAA"),
  ]);
  const addresses = answers.flatMap((a) => a.status === "fulfilled" ? a.value : []);
  if (addresses.length === 0) return "does not resolve";
  if (!addresses.every(isPublicAddress)) {
    return "resolves to a private, loopback or reserved address";
  }
  return null;
}
