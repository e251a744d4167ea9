/**
 * Secrets the development issuer can reproduce instead of storing: client secrets of confidential
 * registrations and the successor of a rotated refresh token. Each is an HMAC under the server's
 * `SigningKey.secretsKey` with a label of its own, so KV never holds them in any form
 * and a value made for one purpose never verifies for another.
 *
 * @module
 */
import { base64url } from "jose";
import { REFRESH_TOKEN_PREFIX } from "./kv_records.ts";

/** The labels; one per purpose. */
const CLIENT_SECRET = "client-secret";
const REFRESH_SUCCESSOR = "refresh-successor";

async function mac(key: CryptoKey, label: string, value: string): Promise<Uint8Array> {
  const data = new TextEncoder().encode(`${label}\n${value}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

/**
 * The client secret of a confidential registered client. Derived from the `client_id` alone, so a
 * host registering the same metadata twice gets the same secret back and the first registration's
 * secret stays valid.
 */
export async function clientSecretFor(key: CryptoKey, clientId: string): Promise<string> {
  return base64url.encode(await mac(key, CLIENT_SECRET, clientId));
}

/**
 * Whether `presented` is `clientId`'s secret. The comparison is WebCrypto's HMAC verify, which
 * runs in constant time, so response timing does not reveal how much of a guess was right.
 */
export async function clientSecretMatches(
  key: CryptoKey,
  clientId: string,
  presented: string,
): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(presented);
  } catch {
    return false;
  }
  // Canonical form only: base64url's last character carries two spare bits, so without this
  // check several strings would decode to the one secret. (Compares the input with itself.)
  if (bytes.length !== 32 || base64url.encode(bytes) !== presented) return false;
  const data = new TextEncoder().encode(`${CLIENT_SECRET}\n${clientId}`);
  return await crypto.subtle.verify("HMAC", key, bytes as BufferSource, data);
}

/**
 * The refresh token that replaces the one whose SHA-256 is `tokenHash`. Deterministic, so a retried
 * refresh within the grace gets the same successor back although only hashes are stored.
 */
export async function successorRefreshToken(key: CryptoKey, tokenHash: string): Promise<string> {
  return `${REFRESH_TOKEN_PREFIX}${base64url.encode(await mac(key, REFRESH_SUCCESSOR, tokenHash))}`;
}
