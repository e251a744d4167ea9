/**
 * Every Deno KV key the development issuer writes, in one place, so the storage layout can be
 * read at a glance. Values carry their own `expiresAt` (checked on read: local KV expires lazily).
 *
 * @module
 */

const ROOT = "signin";

/** KV key builders of the sign-in state. */
export const signinKeys = {
  /** A registered (DCR) client, by `client_id`. Rate-limit counters live under `["rate", …]`. */
  client: (clientId: string): Deno.KvKey => [ROOT, "client", clientId],
  /** A fetched client metadata document, by its URL. */
  metadataDocument: (url: string): Deno.KvKey => [ROOT, "cimd", url],
  /** An authorization request waiting for sign-in and consent, by its random id. */
  pendingRequest: (id: string): Deno.KvKey => [ROOT, "pending", id],
  /** An authorization code, by the SHA-256 of the code. */
  authorizationCode: (codeHash: string): Deno.KvKey => [ROOT, "code", codeHash],
  /** A refresh token, by the SHA-256 of the token. */
  refreshToken: (tokenHash: string): Deno.KvKey => [ROOT, "refresh", tokenHash],
  /** A refresh-token family (one grant's chain of rotations), by family id. */
  tokenFamily: (familyId: string): Deno.KvKey => [ROOT, "family", familyId],
};
