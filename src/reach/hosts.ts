/**
 * Which MCP hosts can reach a connector URL as it is: hosts that run in their maker's cloud
 * (claude.ai, ChatGPT) connect from there, so a loopback or private address, or plain HTTP, is out
 * of their reach; hosts on the person's own machine (Claude Code, Cursor, VS Code, MCP Inspector)
 * reach localhost. The connector's own page, its start-up banner and `deno task doctor` all say
 * this from here.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import { isPublicAddress } from "../signin/address_guard.ts";

/** How a host connects. */
export interface HostProfile {
  /** What people call it. */
  name: string;
  /** Connects from its maker's servers (needs a public HTTPS address) or from the person's machine. */
  connectsFrom: "cloud" | "local";
}

/** The hosts the kit speaks of, by how they connect (from their public documentation). */
export const HOSTS: readonly HostProfile[] = [
  { name: "claude.ai", connectsFrom: "cloud" },
  { name: "ChatGPT", connectsFrom: "cloud" },
  { name: "Claude Code", connectsFrom: "local" },
  { name: "Cursor / VS Code", connectsFrom: "local" },
  { name: "MCP Inspector", connectsFrom: "local" },
];

/** A host's verdict on a URL's reach. */
export interface Reach {
  host: string;
  ok: boolean;
  /** Why not, and what to do (when not `ok`). */
  reason?: string;
  fix?: string;
}

/**
 * Whether `hostname` is this machine or a private network (unreachable from the internet): a
 * loopback or local name, or an address literal that is not public unicast (the same test the
 * sign-in's outbound guard uses). Names are not resolved.
 */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (ipaddr.isValid(h)) return !isPublicAddress(h);
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") ||
    h.endsWith(".internal");
}

/** Each host's verdict on reaching `url`. */
export function reachOf(url: string): Reach[] {
  const { protocol, hostname, port } = new URL(url);
  const local = isPrivateHost(hostname);
  return HOSTS.map(({ name, connectsFrom }) => {
    if (connectsFrom === "local") return { host: name, ok: true };
    if (local) {
      return {
        host: name,
        ok: false,
        reason: `${name} connects from its own servers, which cannot reach ${hostname}`,
        fix:
          "start a tunnel (e.g. cloudflared tunnel --url …) and set PUBLIC_URL to its https:// " +
          "address, or deploy (deno task deploy)",
      };
    }
    if (protocol !== "https:") {
      return {
        host: name,
        ok: false,
        reason: `${name} connects only over HTTPS`,
        fix: "serve the connector over https:// (a tunnel or a deploy gives you one)",
      };
    }
    if (port !== "" && port !== "443") {
      return {
        host: name,
        ok: false,
        reason: `${name} may refuse a connector on port ${port}`,
        fix: "serve it on the default HTTPS port, 443",
      };
    }
    return { host: name, ok: true };
  });
}
