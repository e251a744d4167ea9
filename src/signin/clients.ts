/**
 * OAuth clients of the development issuer: Dynamic Client Registration (RFC 7591), idempotent and
 * capped, and Client ID Metadata Documents (a `client_id` that is an https URL naming its own
 * metadata). Registered clients may be confidential (a derived client secret, see
 * `derived_secrets.ts`); metadata-document clients are always public.
 *
 * @module
 */
import { CodedError } from "../errors.ts";
import { z } from "zod";
import type { RateDecision, RateLimiter } from "../kv/rate_limit.ts";
import { outboundHostProblem } from "./address_guard.ts";
import { clientSecretFor } from "./derived_secrets.ts";
import { displayText } from "./display_text.ts";
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
  /**
   * Whether `/token` and `/revoke` require the client's secret (`client_secret_post` or
   * `client_secret_basic`). Absent on records from before confidential clients: public.
   */
  confidential?: boolean;
}

/** The authentication methods a registration may ask for that get a client secret. */
const SECRET_METHODS = ["client_secret_post", "client_secret_basic"];

/** A client-facing registration or metadata failure (RFC 7591 error codes). */
export class ClientError extends CodedError {
  /** HTTP status to answer with. */
  readonly status: number;
  /** For a 429: when to come back. */
  readonly retryAfterSeconds?: number;
  /**
   * Creates the error; `code` is the OAuth one (`invalid_redirect_uri`, `invalid_client_metadata`,
   * `invalid_client`, `temporarily_unavailable`).
   */
  constructor(code: string, description: string, status = 400, retryAfterSeconds?: number) {
    super(code, description);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Longest `client_id` accepted, in UTF-8 bytes. It becomes part of KV keys, which Deno KV caps at
 * 2 KiB: a longer one would fail the read itself ("key too large") instead of being refused.
 */
export const MAX_CLIENT_ID_BYTES = 1024;

/** Whether `clientId` is short enough to look up. */
export function clientIdFits(clientId: string): boolean {
  return new TextEncoder().encode(clientId).length <= MAX_CLIENT_ID_BYTES;
}

/**
 * The one answer for every metadata URL refused at lookup time. Distinct texts ("does not
 * resolve", "private address", "fetch failed") would let anyone probe what this server's DNS and
 * network can see through the refusals.
 */
const DOCUMENT_REFUSED = "client metadata document could not be fetched";

const Metadata = z.object({
  redirect_uris: z.array(z.string()).min(1).max(10),
  client_name: z.string().trim().min(1).max(100).optional(),
  client_uri: z.url({ protocol: /^https$/ }).optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.string().optional(),
  scope: z.string().max(1000).optional(),
});

/** A registered client; `expiresAt` is set until its first authorization code is issued. */
type StoredClient = OAuthClient & { issuedAt: number; expiresAt?: number };

/**
 * A registration nobody ever authorized is dropped after this long, so registrations made only to
 * fill the table do not stay (the first authorization code clears the expiry).
 */
export const UNUSED_CLIENT_TTL_MS = 24 * 3_600_000;

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
  if (metadata.client_name !== undefined) {
    // Invisible and bidi-control characters are dropped at the door (see displayText).
    metadata.client_name = displayText(metadata.client_name).trim() || undefined;
  }
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new ClientError("invalid_redirect_uri", `a redirect URI ${problem}`);
  }
  const grants = metadata.grant_types ?? ["authorization_code"];
  if (!grants.includes("authorization_code")) {
    throw new ClientError("invalid_client_metadata", "grant_types must include authorization_code");
  }
  const unsupportedGrant = grants.find((g) => g !== "authorization_code" && g !== "refresh_token");
  if (unsupportedGrant) {
    throw new ClientError(
      "invalid_client_metadata",
      // Fixed wording: a metadata document's text must not reach our pages.
      "grant_types may only list authorization_code and refresh_token",
    );
  }
  if (metadata.response_types && metadata.response_types.some((r) => r !== "code")) {
    throw new ClientError("invalid_client_metadata", "only the code response type is supported");
  }
  return metadata;
}

/** Options of the registration endpoint. */
export interface RegistrationOptions {
  /** The caller's address: its own quota of new clients. */
  caller: string;
  /**
   * Bounds on new clients: per caller address and network, and for everyone together (hourly
   * windows). Without `perAddress` and `perNetwork` only the global cap counts.
   */
  limits: { perAddress?: RateLimiter; perNetwork?: RateLimiter; global: RateLimiter };
  /** The server key client secrets are derived with (`SigningKey.secretsKey`). */
  secretsKey: CryptoKey;
  /** Clock, for tests. */
  now?: number;
}

/** New registrations being admitted in this process, by client id. */
const admitting = new Map<string, Promise<StoredClient>>();

/** Thrown inside a registration's commit when the same client appeared meanwhile. */
class AlreadyRegistered extends Error {
  constructor(readonly client: StoredClient) {
    super("already registered");
  }
}

/**
 * Registers a client. The `client_id` is derived from the metadata itself, so a host that
 * re-registers on every connection gets the same client back instead of growing the table, and only
 * genuinely new clients count against the hourly caps: one per caller address, so a single caller
 * cannot spend everyone's registrations, inside the global one.
 *
 * A registration asking for `client_secret_post` or `client_secret_basic` (claude.ai asks for the
 * former) gets a confidential client: its secret is derived from the `client_id` with the server
 * key, so it is never stored and the same metadata registered again returns the same id and secret,
 * `client_secret_expires_at: 0` (never). Open registration means anyone can obtain the secret of
 * metadata they can name, so the secret adds no authority: PKCE and the exact redirect URIs stay
 * the defence for every client. Any other method gets a public client (`none`), as RFC 7591
 * §3.2.1 allows the server to assign.
 */
export async function registerClient(
  kv: Deno.Kv,
  body: unknown,
  options: RegistrationOptions,
): Promise<Record<string, unknown>> {
  const metadata = parseMetadata(body);
  const redirectUris = [...new Set(metadata.redirect_uris)].sort();
  const method = metadata.token_endpoint_auth_method ?? "none";
  const confidential = SECRET_METHODS.includes(method);
  // Public clients keep the ids they always had; a confidential client is another client.
  const canonical = JSON.stringify({
    redirect_uris: redirectUris,
    client_name: metadata.client_name ?? null,
    client_uri: metadata.client_uri ?? null,
    ...(confidential ? { auth: "client_secret" } : {}),
  });
  // Clients registered under the earlier prefix stay stored and keep working: ids are looked up,
  // never parsed.
  const clientId = `kit-${(await hashSecret(canonical)).slice(0, 32)}`;
  const now = options.now ?? Date.now();

  // Identical registrations arriving together (claude.ai registers twice per connect) wait for the
  // first: only one of them may be counted as new, and the others then find it.
  const earlier = admitting.get(clientId);
  if (earlier) await earlier.catch(() => {});
  let stored = (await readClient(kv, clientId, now))?.value;
  if (!stored) {
    stored = {
      clientId,
      kind: "registered",
      clientName: metadata.client_name,
      clientUri: metadata.client_uri,
      redirectUris,
      ...(confidential ? { confidential } : {}),
      issuedAt: Math.floor(now / 1000),
      expiresAt: now + UNUSED_CLIENT_TTL_MS,
    };
    const admission = admitNewRegistration(stored, options, now);
    admitting.set(clientId, admission);
    try {
      stored = await admission;
    } finally {
      if (admitting.get(clientId) === admission) admitting.delete(clientId);
    }
  }
  return {
    client_id: stored.clientId,
    client_id_issued_at: stored.issuedAt,
    client_name: stored.clientName,
    client_uri: stored.clientUri,
    redirect_uris: stored.redirectUris,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    ...(confidential
      ? {
        token_endpoint_auth_method: method,
        client_secret: await clientSecretFor(options.secretsKey, stored.clientId),
        client_secret_expires_at: 0,
      }
      : { token_endpoint_auth_method: "none" }),
  };
}

/**
 * Stores a new client if the caller's and everyone's hourly quotas still have room. The global
 * count and the client commit together; the client key is checked in the same commit, so two
 * identical registrations racing store (and count globally) one client.
 */
async function admitNewRegistration(
  client: StoredClient,
  { caller, limits }: RegistrationOptions,
  now: number,
): Promise<StoredClient> {
  const tooMany = (decision: RateDecision, description: string) =>
    decision.allowed ? undefined : new ClientError(
      "temporarily_unavailable",
      `${description}; retry in ${decision.retryAfterSeconds} s`,
      429,
      decision.retryAfterSeconds,
    );
  if (limits.perAddress) {
    const mine = await limits.perAddress.hit(caller, { now });
    const refusedMine = tooMany(
      mine,
      `Too many new client registrations from this address this hour (limit ${limits.perAddress.limit})`,
    );
    if (refusedMine) throw refusedMine;
  }
  if (limits.perNetwork) {
    const ours = await limits.perNetwork.hit(networkOf(caller), { now });
    const refusedOurs = tooMany(
      ours,
      `Too many new client registrations from this network this hour (limit ${limits.perNetwork.limit})`,
    );
    if (refusedOurs) throw refusedOurs;
  }
  const key = signinKeys.client(client.clientId);
  try {
    const everyone = await limits.global.hit("all", {
      now,
      with: async (op, db) => {
        const current = await db.get<StoredClient>(key, { consistency: "strong" });
        if (current.value && !isExpired(current.value, now)) {
          throw new AlreadyRegistered(current.value);
        }
        op.check(current).set(key, client, { expireIn: UNUSED_CLIENT_TTL_MS + 3_600_000 });
      },
    });
    const refused = tooMany(
      everyone,
      `Too many new client registrations this hour (limit ${limits.global.limit})`,
    );
    if (refused) throw refused;
    return client;
  } catch (error) {
    if (error instanceof AlreadyRegistered) return error.client;
    throw error;
  }
}

/**
 * The network a caller address belongs to, as the per-network quota counts it: an IPv4 address's
 * /24, an IPv6 /64 (as `clientAddress` gives it) widened to its /48.
 */
export function networkOf(caller: string): string {
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/.exec(caller);
  if (v4) return `${v4[1]}.0/24`;
  const v6 = /^([0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):[0-9a-f]{1,4}::\/64$/i.exec(caller);
  if (v6) return `${v6[1]}::/48`;
  return caller;
}

function isExpired(client: StoredClient, now: number): boolean {
  return client.expiresAt !== undefined && client.expiresAt <= now;
}

/** Reads a registered client; `null` when unknown or expired unused. */
async function readClient(
  kv: Deno.Kv,
  clientId: string,
  now: number,
): Promise<Deno.KvEntry<StoredClient> | null> {
  const entry = await kv.get<StoredClient>(signinKeys.client(clientId), { consistency: "strong" });
  if (!entry.value || isExpired(entry.value, now)) return null;
  return entry as Deno.KvEntry<StoredClient>;
}

/**
 * Marks a registered client as in use once it gets its first authorization code: its
 * registration no longer expires. A no-op for metadata-document clients and clients already kept.
 */
export async function keepClient(kv: Deno.Kv, clientId: string, now = Date.now()): Promise<void> {
  if (clientId.startsWith("https://") || !clientIdFits(clientId)) return;
  const entry = await readClient(kv, clientId, now);
  if (!entry || entry.value.expiresAt === undefined) return;
  const { expiresAt: _unused, ...kept } = entry.value;
  // A lost race means another request kept it (or it changed); either way nothing is left to do.
  await kv.atomic().check(entry).set(signinKeys.client(clientId), kept).commit();
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
  /** Clock, for tests. */
  now?: number;
  /**
   * Bounds lookups of metadata URLs not in the cache, per caller address: each costs DNS lookups,
   * a KV write and possibly an outbound fetch. Cached answers are free.
   */
  newLookups?: { caller: string; limiter: RateLimiter };
}

/** Looks up a client by `client_id`: a registered one, or one described by a metadata document. */
export async function findClient(
  kv: Deno.Kv,
  clientId: string,
  options: FindClientOptions,
): Promise<OAuthClient> {
  if (!clientIdFits(clientId)) {
    throw new ClientError("invalid_client", "client_id is too long", 401);
  }
  if (clientId.startsWith("https://")) return await loadMetadataDocument(kv, clientId, options);
  const stored = await readClient(kv, clientId, options.now ?? Date.now());
  if (!stored) throw new ClientError("invalid_client", "Unknown client_id", 401);
  const { issuedAt: _issued, expiresAt: _expires, ...client } = stored.value;
  return client;
}

const DOCUMENT_CACHE_MS = 10 * 60_000;
/** A failed fetch is remembered this long, so a bad client_id cannot make us fetch it repeatedly. */
const FAILURE_CACHE_MS = 60_000;
/** At most this many metadata documents are fetched at once; more callers are told to retry. */
const MAX_CONCURRENT_FETCHES = 8;
/** One caller holds at most this many of those slots, so slow documents of one cannot starve all. */
const MAX_FETCHES_PER_CALLER = 2;
let fetchesInFlight = 0;
const fetchesByCaller = new Map<string, number>();

/**
 * Fetches and validates a Client ID Metadata Document. It is an outbound request driven by input,
 * so: https only, a public address only (see {@linkcode outboundHostProblem}), no redirects, a
 * size cap and a time limit; the document must name itself as `client_id`. Results and failures
 * are cached; a URL not in the cache counts against the caller's lookup budget.
 */
async function loadMetadataDocument(
  kv: Deno.Kv,
  url: string,
  options: FindClientOptions,
): Promise<OAuthClient> {
  const parsed = metadataUrl(url, options.ownHost);
  const now = options.now ?? Date.now();
  const cacheKey = signinKeys.metadataDocument(url);
  const cached = await readFresh<{ client?: OAuthClient; failure?: string }>(kv, cacheKey, now);
  if (cached?.value.client) return cached.value.client;
  if (cached?.value.failure) throw new ClientError("invalid_client", cached.value.failure, 401);
  if (options.newLookups) {
    const { caller, limiter } = options.newLookups;
    const decision = await limiter.hit(caller, { now });
    if (!decision.allowed) {
      throw new ClientError(
        "temporarily_unavailable",
        `Too many new client lookups from this address; retry in ${decision.retryAfterSeconds} s`,
        429,
        decision.retryAfterSeconds,
      );
    }
  }
  try {
    const client = await fetchMetadataDocument(url, parsed, options);
    const expiresAt = now + DOCUMENT_CACHE_MS;
    await kv.set(cacheKey, { client, expiresAt }, expiry(expiresAt, now));
    return client;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    if (error.status !== 503) {
      const expiresAt = now + FAILURE_CACHE_MS;
      await kv.set(cacheKey, { failure: error.message, expiresAt }, expiry(expiresAt, now));
    }
    throw error;
  }
}

/** Checks a metadata URL's shape (no network, nothing cached); throws {@linkcode ClientError}. */
function metadataUrl(url: string, ownHost: string | undefined): URL {
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
  if (ownHost && parsed.host === ownHost) {
    throw new ClientError("invalid_client", "client_id must not point at this server", 401);
  }
  return parsed;
}

async function fetchMetadataDocument(
  url: string,
  parsed: URL,
  options: FindClientOptions,
): Promise<OAuthClient> {
  if (await outboundHostProblem(parsed.hostname, options.privateHostAllowlist)) {
    throw new ClientError("invalid_client", DOCUMENT_REFUSED, 401);
  }
  const caller = options.newLookups?.caller ?? "";
  const callerFetches = fetchesByCaller.get(caller) ?? 0;
  if (fetchesInFlight >= MAX_CONCURRENT_FETCHES || callerFetches >= MAX_FETCHES_PER_CALLER) {
    throw new ClientError(
      "temporarily_unavailable",
      "Too many client lookups at once; try again",
      503,
    );
  }
  fetchesInFlight++;
  fetchesByCaller.set(caller, callerFetches + 1);
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
    throw new ClientError("invalid_client", DOCUMENT_REFUSED, 401);
  } finally {
    fetchesInFlight--;
    const left = (fetchesByCaller.get(caller) ?? 1) - 1;
    if (left > 0) fetchesByCaller.set(caller, left);
    else fetchesByCaller.delete(caller);
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
    throw new ClientError(
      "invalid_client",
      `client metadata document: ${(error as Error).message}`,
      401,
    );
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
