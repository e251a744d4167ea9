/**
 * Hostile tokens: the ways an attacker shapes a JWT to slip past a resource server.
 *
 * @module
 */
import { base64url, generateKeyPair, type JWK, SignJWT } from "jose";

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

/** Standard claims for a token aimed at `server`, valid for 5 minutes. */
export function claimsFor(issuer: string, audience: string, sub = "mallory") {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, aud: audience, sub, scope: "mcp", iat: now, exp: now + 300 };
}

/** An unsecured JWT (`alg: none`), with an empty signature. */
export function unsignedToken(payload: Record<string, unknown>, kid?: string): string {
  return `${encode({ alg: "none", typ: "JWT", kid })}.${encode(payload)}.`;
}

/**
 * Algorithm confusion: an HS256 token whose HMAC secret is the server's *public* key, which a
 * verifier that lets the token pick the algorithm would accept.
 */
export async function hmacWithPublicKey(
  publicJwk: JWK,
  payload: Record<string, unknown>,
): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", kid: publicJwk.kid, typ: "at+jwt" })
    .sign(secret);
}

/** A token signed by a freshly generated key, under any `kid` (including the real one). */
export async function signedByStranger(
  payload: Record<string, unknown>,
  kid: string,
): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256");
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
    .sign(privateKey);
}

/** `token` with its signature swapped for the signature of `other`. */
export function withSignatureOf(token: string, other: string): string {
  const [header, payload] = token.split(".");
  return `${header}.${payload}.${other.split(".")[2]}`;
}
