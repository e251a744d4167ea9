/**
 * OAuth clients of the development issuer: Dynamic Client Registration (RFC 7591), idempotent and
 * capped, and Client ID Metadata Documents (a `client_id` that is an https URL naming its own
 * metadata).
 *
 * @module
 */
import { z } from "zod";
import { outboundHostProblem } from "./address_guard.ts";
import { expiry, hashSecret, readFresh } from "./kv_records.ts";
import { signinKeys } from "./kv_keys.ts";
import { redirectUriProblem } from "./redirect_uri.ts";

/** A client as the authorization endpoint sees it. */
export interface OAuthClient {
  /** The `client_id`. */
  clientId: string;
  /** How we know it. */
  kind: "registered" | "metadata_document";
  /** Self-declared name; shown with the redirect host so it cannot impersonate alone. */
  clientName?: string;
  /** Where the client lives, if it says. */
  clientUri?: string;
  /** Exact redirect URIs. */
  redirectUris: string[];
}

/** A client-facing registration or metadata failure (RFC 7591 error codes). */
export class ClientError extends Error {
  /** `invalid_redirect_uri`, `invalid_client_metadata` or `temporarily_unavailable`. */
  readonly code: string;
  /** HTTP status to answer with. */
  readonly status: number;
  /** Creates the error. */
  constructor(code: string, description: string, status = 400) {
    super(description);
    this.code = code;
    this.status = status;
  }
}

const Metadata = z.object({
  redirect_uris: z.array(z.string()).min(1).max(10),
  client_name: z.string().trim().min(1).max(100).optional(),
  client_uri: z.url({ protocol: /^https$/ }).optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.string().optional(),
  scope: z.string().max(1000).optional(),
});

type StoredClient = OAuthClient & { issuedAt: number };

/** Parses and checks client metadata; throws {@linkcode ClientError}. */
function parseMetadata(input: unknown): z.infer<typeof Metadata> {
  const parsed = Metadata.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClientError(
      "invalid_client_metadata",
      `${issue.path.join(".") || "body"}: ${issue.message}`,
    );
  }
  const metadata = parsed.data;
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new ClientError("invalid_redirect_uri", `redirect URI ${uri} ${problem}`);
  }
  const grants = metadata.grant_types ?? ["authorization_code"];
  if (!grants.includes("authorization_code")) {
    throw new ClientError("invalid_client_metadata", "grant_types must include authorization_code");
  }
  const unsupportedGrant = grants.find((g) => g !== "authorization_code" && g !== "refresh_token");
  if (unsupportedGrant) {
    throw new ClientError(
      "invalid_client_metadata",
      `grant type ${unsupportedGrant} is not supported`,
    );
  }
  if (metadata.response_types && metadata.response_types.some((r) => r !== "code")) {
    throw new ClientError("invalid_client_metadata", "only the code response type is supported");
  }
  return metadata;
}

/** Options of the registration endpoint. */
export interface RegistrationOptions {
  /** New registrations accepted per hour. */
  perHour: number;
  /** Clock, for tests. */
  now?: number;
}

/**
 * Registers a client. The `client_id` is derived from the metadata itself, so a host that
 * re-registers on every connection gets the same client back instead of growing the table, and only
 * genuinely new clients count against the hourly cap.
 *
 * Every client is public (`token_endpoint_auth_method: none`, PKCE required): a request for a
 * secret-based method is answered with the method we assign, as RFC 7591 §3.2.1 allows.
 */
export async function registerClient(
  kv: Deno.Kv,
  body: unknown,
  options: RegistrationOptions,
): Promise<Record<string, unknown>> {
  const metadata = parseMetadata(body);
  const redirectUris = [...new Set(metadata.redirect_uris)].sort();
  const canonical = JSON.stringify({
    redirect_uris: redirectUris,
    client_name: metadata.client_name ?? null,
    client_uri: metadata.client_uri ?? null,
  });
  const clientId = `rr-${(await hashSecret(canonical)).slice(0, 32)}`;
  const key = signinKeys.client(clientId);
  const now = options.now ?? Date.now();

  const existing = await kv.get<StoredClient>(key, { consistency: "strong" });
  let stored = existing.value;
  if (!stored) {
    stored = {
      clientId,
      kind: "registered",
      clientName: metadata.client_name,
      clientUri: metadata.client_uri,
      redirectUris,
      issuedAt: Math.floor(now / 1000),
    };
    await admitNewRegistration(kv, key, stored, options.perHour, now);
  }
  return {
    client_id: stored.clientId,
    client_id_issued_at: stored.issuedAt,
    client_name: stored.clientName,
    client_uri: stored.clientUri,
    redirect_uris: stored.redirectUris,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
}

/** Stores a new client if this hour's window still has room; the count and the client commit together. */
async function admitNewRegistration(
  kv: Deno.Kv,
  key: Deno.KvKey,
  client: StoredClient,
  perHour: number,
  now: number,
): Promise<void> {
  const hour = Math.floor(now / 3_600_000);
  const windowKey = signinKeys.registrationWindow(hour);
  for (let attempt = 0; attempt < 50; attempt++) {
    const window = await kv.get<number>(windowKey, { consistency: "strong" });
    const count = window.value ?? 0;
    if (count >= perHour) {
      const retryAfter = Math.ceil(((hour + 1) * 3_600_000 - now) / 1000);
      throw new ClientError(
        "temporarily_unavailable",
        `Too many new client registrations this hour (limit ${perHour}); retry in ${retryAfter} s`,
        429,
      );
    }
    const result = await kv.atomic()
      .check(window)
      .check({ key, versionstamp: null })
      .set(windowKey, count + 1, { expireIn: 2 * 3_600_000 })
      .set(key, client)
      .commit();
    if (result.ok) return;
    // Either the window moved or someone registered the same client meanwhile.
    if ((await kv.get(key, { consistency: "strong" })).value) return;
  }
  throw new ClientError("temporarily_unavailable", "Registration is busy; try again", 503);
}

/** Options for {@linkcode findClient}. */
export interface FindClientOptions {
  /** Hosts whose metadata documents may live on private addresses (development only). */
  privateHostAllowlist: readonly string[];
  /** Our own public host: a metadata document there would make us fetch ourselves, recursively. */
  ownHost?: string;
  /** Limits on the document fetch. */
  maxBytes?: number;
  /** Fetch time limit. */
  timeoutMs?: number;
}

/** Looks up a client by `client_id`: a registered one, or one described by a metadata document. */
export async function findClient(
  kv: Deno.Kv,
  clientId: string,
  options: FindClientOptions,
): Promise<OAuthClient> {
  if (clientId.startsWith("https://")) return await loadMetadataDocument(kv, clientId, options);
  const stored = await kv.get<StoredClient>(signinKeys.client(clientId), { consistency: "strong" });
  if (!stored.value) throw new ClientError("invalid_client", "Unknown client_id", 401);
  return stored.value;
}

const DOCUMENT_CACHE_MS = 10 * 60_000;
/** A failed fetch is remembered this long, so a bad client_id cannot make us fetch it repeatedly. */
const FAILURE_CACHE_MS = 60_000;
/** At most this many metadata documents are fetched at once; more callers are told to retry. */
const MAX_CONCURRENT_FETCHES = 8;
let fetchesInFlight = 0;

/**
 * Fetches and validates a Client ID Metadata Document. It is an outbound request driven by input,
 * so: https only, a public address only (see {@linkcode outboundHostProblem}), no redirects, a
 * size cap and a time limit; the document must name itself as `client_id`. Results are cached.
 */
async function loadMetadataDocument(
  kv: Deno.Kv,
  url: string,
  options: FindClientOptions,
): Promise<OAuthClient> {
  const cacheKey = signinKeys.metadataDocument(url);
  const cached = await readFresh<{ client?: OAuthClient; failure?: string }>(kv, cacheKey);
  if (cached?.value.client) return cached.value.client;
  if (cached?.value.failure) throw new ClientError("invalid_client", cached.value.failure, 401);
  try {
    const client = await fetchMetadataDocument(url, options);
    const expiresAt = Date.now() + DOCUMENT_CACHE_MS;
    await kv.set(cacheKey, { client, expiresAt }, expiry(expiresAt));
    return client;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    if (error.status !== 503) {
      const expiresAt = Date.now() + FAILURE_CACHE_MS;
      await kv.set(cacheKey, { failure: error.message, expiresAt }, expiry(expiresAt));
    }
    throw error;
  }
}

async function fetchMetadataDocument(
  url: string,
  options: FindClientOptions,
): Promise<OAuthClient> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientError("invalid_client", "client_id is not a valid URL", 401);
  }
  if (
    parsed.protocol !== "https:" || parsed.pathname === "/" || parsed.hash || parsed.search ||
    parsed.username || parsed.password
  ) {
    throw new ClientError(
      "invalid_client",
      "client_id URL must be https, with a path, and without query, fragment or credentials",
      401,
    );
  }
  if (options.ownHost && parsed.host === options.ownHost) {
    throw new ClientError("invalid_client", "client_id must not point at this server", 401);
  }
  const problem = await outboundHostProblem(parsed.hostname, options.privateHostAllowlist);
  if (problem) throw new ClientError("invalid_client", `client_id host ${problem}`, 401);

  if (fetchesInFlight >= MAX_CONCURRENT_FETCHES) {
    throw new ClientError(
      "temporarily_unavailable",
      "Too many client lookups at once; try again",
      503,
    );
  }
  fetchesInFlight++;
  let body: unknown;
  try {
    const response = await fetch(parsed, {
      headers: { accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    body = JSON.parse(await readCapped(response, options.maxBytes ?? 16 * 1024));
  } catch {
    // Fixed wording: echoing network errors would let a caller probe what this server can reach.
    throw new ClientError("invalid_client", "client metadata document could not be fetched", 401);
  } finally {
    fetchesInFlight--;
  }
  const document = body as Record<string, unknown>;
  if (document?.client_id !== url) {
    throw new ClientError(
      "invalid_client",
      "client metadata document names another client_id",
      401,
    );
  }
  if ("client_secret" in document || "client_secret_expires_at" in document) {
    throw new ClientError(
      "invalid_client",
      "client metadata document must not carry a secret",
      401,
    );
  }
  const method = document.token_endpoint_auth_method;
  if (method !== undefined && method !== "none") {
    throw new ClientError(
      "invalid_client",
      "only public clients (auth method none) are supported",
      401,
    );
  }
  let metadata;
  try {
    metadata = parseMetadata(document);
  } catch (error) {
    throw new ClientError("invalid_client", (error as Error).message, 401);
  }
  return {
    clientId: url,
    kind: "metadata_document",
    clientName: metadata.client_name,
    clientUri: metadata.client_uri,
    redirectUris: metadata.redirect_uris,
  };
}

/** Reads a response body as text, refusing anything larger than `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error("document too large");
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error("document too large");
    chunks.push(chunk);
  }
  return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
}
