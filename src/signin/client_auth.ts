/**
 * Client authentication at `/token` and `/revoke` (RFC 6749 §2.3): public clients name themselves
 * with `client_id`; confidential clients also prove their secret, by `client_secret_post` (form
 * field) or `client_secret_basic` (HTTP Basic), whichever they registered with.
 *
 * @module
 */
import { ClientError, findClient, type FindClientOptions, type OAuthClient } from "./clients.ts";
import { clientSecretMatches } from "./derived_secrets.ts";

/** What a token request says about its client. */
export interface PresentedCredentials {
  /** The `client_id`, from the form or the Basic header. */
  clientId: string;
  /** The secret, if one was sent (never logged, never echoed). */
  secret?: string;
}

/** Fixed texts: none of them carries anything the caller sent. */
const FAILED = "Client authentication failed";

/**
 * Reads the client's credentials from the `Authorization: Basic` header and the form. Sending a
 * secret both ways is refused (RFC 6749 §2.3.1: one method per request), as is a Basic header naming
 * another client than the form's `client_id`.
 *
 * @throws {ClientError} `invalid_request` or `invalid_client`.
 */
export function presentedCredentials(
  authorization: string | undefined,
  form: URLSearchParams,
): PresentedCredentials {
  const formId = form.get("client_id") ?? undefined;
  const formSecret = form.get("client_secret") ?? undefined;
  const basic = authorization && /^basic /i.test(authorization)
    ? basicCredentials(authorization.slice(6).trim())
    : undefined;
  if (basic) {
    if (formSecret !== undefined) {
      throw new ClientError(
        "invalid_request",
        "Send the client secret one way only: Basic header or form",
      );
    }
    if (formId !== undefined && formId !== basic.clientId) {
      throw new ClientError("invalid_client", FAILED, 401);
    }
    return basic;
  }
  if (!formId) throw new ClientError("invalid_client", "client_id is required", 401);
  return { clientId: formId, secret: formSecret || undefined };
}

/** RFC 6749 §2.3.1: base64 of form-encoded id, ":", form-encoded secret. */
function basicCredentials(encoded: string): PresentedCredentials {
  let decoded: string;
  try {
    const bytes = Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0));
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ClientError("invalid_client", "Malformed Basic credentials", 401);
  }
  const colon = decoded.indexOf(":");
  if (colon < 1) throw new ClientError("invalid_client", "Malformed Basic credentials", 401);
  const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
  try {
    // An empty secret is no secret: some clients send "id:" for public clients.
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)) || undefined,
    };
  } catch {
    throw new ClientError("invalid_client", "Malformed Basic credentials", 401);
  }
}

/**
 * Finds the client and checks its credentials: a confidential client must present its own secret;
 * a public client must present none (a secret we never issued is a failed authentication, not
 * something to ignore). Every failure is `invalid_client` with a fixed text.
 *
 * @throws {ClientError}
 */
export async function authenticateClient(
  kv: Deno.Kv,
  credentials: PresentedCredentials,
  secretsKey: CryptoKey,
  lookup: FindClientOptions,
): Promise<OAuthClient> {
  const client = await findClient(kv, credentials.clientId, lookup);
  if (!client.confidential) {
    if (credentials.secret !== undefined) {
      throw new ClientError("invalid_client", "This client is public and has no secret", 401);
    }
    return client;
  }
  if (credentials.secret === undefined) {
    throw new ClientError("invalid_client", "This client must authenticate with its secret", 401);
  }
  if (!(await clientSecretMatches(secretsKey, client.clientId, credentials.secret))) {
    throw new ClientError("invalid_client", FAILED, 401);
  }
  return client;
}
