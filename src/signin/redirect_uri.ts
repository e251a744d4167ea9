/**
 * Which redirect URIs a client may register: https anywhere, plain http only back to this machine
 * (RFC 8252 native apps), never with a fragment or credentials.
 *
 * @module
 */

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Why `uri` is not an acceptable redirect URI, or `null` when it is. */
export function redirectUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not an absolute URL";
  }
  if (url.hash !== "" || uri.includes("#")) return "must not contain a fragment";
  if (url.username || url.password) return "must not contain credentials";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return null;
  return "must use https (plain http is allowed only for loopback addresses)";
}
