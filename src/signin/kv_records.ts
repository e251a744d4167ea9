/**
 * Reading and writing expiring records in Deno KV. Local KV's `expireIn` is lazy, so the expiry
 * is also kept in the value and a record past it reads as absent.
 *
 * @module
 */
import { EARLIER_REFRESH_TOKEN_PREFIX } from "../compat/earlier_names.ts";
import { base64url } from "jose";

/** A stored value with its own expiry (milliseconds since the epoch). */
export type Expiring<T> = T & { expiresAt: number };

/** Reads `key`; `null` when missing or expired. Strongly consistent. */
export async function readFresh<T>(
  kv: Deno.Kv,
  key: Deno.KvKey,
  now = Date.now(),
): Promise<Deno.KvEntry<Expiring<T>> | null> {
  const entry = await kv.get<Expiring<T>>(key, { consistency: "strong" });
  if (entry.value === null || entry.value.expiresAt <= now) return null;
  return entry as Deno.KvEntry<Expiring<T>>;
}

/** Options for KV `set` that let the store drop the record soon after it expires. */
export function expiry(expiresAt: number, now = Date.now()): { expireIn: number } {
  return { expireIn: Math.max(1, expiresAt - now) };
}

/** Base64url SHA-256 of a secret, the only form in which secrets are stored. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return base64url.encode(new Uint8Array(digest));
}

/** What refresh tokens start with, so `/revoke` tells them from access tokens. */
export const REFRESH_TOKEN_PREFIX = "kit_rt_";

/** Whether `token` has the form of a refresh token (the earlier prefix included, still read). */
export function looksLikeRefreshToken(token: string): boolean {
  return token.startsWith(REFRESH_TOKEN_PREFIX) || token.startsWith(EARLIER_REFRESH_TOKEN_PREFIX);
}

/** A fresh random secret: `bytes` random bytes, base64url. */
export function randomSecret(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}
