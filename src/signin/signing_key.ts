/**
 * The development issuer's signing key: generated on first start, kept under `DATA_DIR`, and
 * published as a JWKS so the resource server verifies our own tokens exactly as it would an
 * external issuer's.
 *
 * @module
 */
import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from "jose";
import { join } from "node:path";

/** The algorithm of the development key. */
export const SIGNING_ALGORITHM = "ES256";

/** A loaded signing key. */
export interface SigningKey {
  /** Key id, the RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** Always {@linkcode SIGNING_ALGORITHM}. */
  readonly alg: typeof SIGNING_ALGORITHM;
  /** The private key, non-extractable once loaded. */
  readonly privateKey: CryptoKey;
  /** The public half as a JWK, with `kid`, `alg` and `use`. */
  readonly publicJwk: JWK;
  /**
   * An HMAC-SHA-256 key derived from the private key (HKDF, its own label), non-extractable: the
   * server key behind client secrets and refresh-token successors (see `derived_secrets.ts`). It
   * lives exactly as long as the signing key, on disk or in KV, so it survives restarts.
   */
  readonly secretsKey: CryptoKey;
}

/** HKDF label of {@linkcode SigningKey.secretsKey}; never used for anything else. */
const SECRETS_KEY_LABEL = "signin derived secrets v1";

/** File name of the key inside `DATA_DIR`. */
export const SIGNING_KEY_FILE = "dev-signing-key.json";

/**
 * Loads the key from `dataDir`, creating it on first use. Creation is race-free: the file appears
 * whole and exclusively, so a second process starting at the same moment reads the winner's key.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = join(dataDir, SIGNING_KEY_FILE);
  try {
    return await importSigningKey(JSON.parse(await Deno.readTextFile(path)));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  // Written whole beside it, then linked into place: the link fails if another process won, and
  // nobody (a `deno task mint` right after the start, say) ever reads half a key.
  const partial = `${path}.${crypto.randomUUID()}.partial`;
  await Deno.writeTextFile(partial, JSON.stringify(jwk), { createNew: true, mode: 0o600 });
  try {
    await Deno.link(partial, path);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return await importSigningKey(JSON.parse(await Deno.readTextFile(path)));
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
  return await importSigningKey(jwk);
}

/** KV key of the development signing key when it lives in Deno KV (Deno Deploy has no writable disk). */
export const SIGNING_KEY_KV_KEY: Deno.KvKey = ["signin", "signing-key"];

/**
 * Like {@linkcode loadOrCreateSigningKey}, but kept in Deno KV, for platforms without a writable
 * file system. Creation is an atomic insert-if-absent, so concurrent isolates agree on one key.
 */
export async function loadOrCreateSigningKeyInKv(kv: Deno.Kv): Promise<SigningKey> {
  const existing = await kv.get<JWK>(SIGNING_KEY_KV_KEY, { consistency: "strong" });
  if (existing.value) return await importSigningKey(existing.value);
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const result = await kv.atomic().check({ key: SIGNING_KEY_KV_KEY, versionstamp: null })
    .set(SIGNING_KEY_KV_KEY, jwk).commit();
  if (result.ok) return await importSigningKey(jwk);
  const winner = await kv.get<JWK>(SIGNING_KEY_KV_KEY, { consistency: "strong" });
  return await importSigningKey(winner.value!);
}

/** Builds a {@linkcode SigningKey} from a private EC JWK. */
export async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") {
    throw new Error(`${SIGNING_KEY_FILE} does not hold a P-256 private key`);
  }
  const { d: _private, ...publicPart } = jwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = await importJWK(jwk, SIGNING_ALGORITHM, { extractable: false });
  const secretsKey = await deriveSecretsKey(base64url.decode(jwk.d));
  return {
    kid,
    alg: SIGNING_ALGORITHM,
    privateKey: privateKey as CryptoKey,
    publicJwk: {
      kty: publicPart.kty,
      crv: publicPart.crv,
      x: publicPart.x,
      y: publicPart.y,
      kid,
      alg: SIGNING_ALGORITHM,
      use: "sig",
    },
    secretsKey,
  };
}

/**
 * HKDF-SHA-256 from the private scalar to an HMAC key. The label separates it from the ECDSA use of
 * the same secret, and the HMAC output reveals nothing about the signing key.
 */
async function deriveSecretsKey(privateScalar: Uint8Array): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey(
    "raw",
    privateScalar as BufferSource,
    "HKDF",
    false,
    ["deriveKey"],
  );
  return await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: new TextEncoder().encode(SECRETS_KEY_LABEL),
    },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

/** The public key set to publish at the issuer's `jwks_uri`. */
export function publicJwks(key: SigningKey): JSONWebKeySet {
  return { keys: [key.publicJwk] };
}
