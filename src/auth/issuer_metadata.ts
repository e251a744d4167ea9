/**
 * An external issuer's own description of itself (RFC 8414, or OpenID Connect discovery): where
 * its keys are, which scopes it offers, and — checked exactly — what it calls itself, since every
 * token it signs carries that name in `iss`.
 *
 * @module
 */

/** What the kit reads of an issuer's metadata. */
export interface IssuerMetadata {
  /** Where the metadata was found. */
  at: string;
  /** The issuer's JWKS URL. */
  jwksUri: string;
  /** `scopes_supported`, when the issuer lists them. */
  scopesSupported?: readonly string[];
}

/**
 * The issuer's metadata names an issuer other than the configured one (RFC 8414 §3.3 asks for an
 * exact match): every token would then fail the `iss` check, so nothing can be verified. Its
 * message names both strings and the fix.
 */
export class IssuerMismatchError extends Error {
  /**
   * @param configured `AUTH_ISSUER` as configured.
   * @param found The issuer the metadata names.
   * @param at Where that metadata was.
   */
  constructor(readonly configured: string, readonly found: string, readonly at: string) {
    super(
      `AUTH_ISSUER is "${configured}", but the issuer's metadata at ${at} names it "${found}". ` +
        `Tokens carry that exact string in iss: set AUTH_ISSUER=${found}`,
    );
    this.name = "IssuerMismatchError";
  }
}

/**
 * Every place metadata could be answered, and none has it (4xx): `AUTH_ISSUER` is not the
 * issuer's identifier (Better Auth's, say, ends in its base path), not an outage.
 */
export class IssuerNotFoundError extends IssuerMismatchError {
  /** @param configured `AUTH_ISSUER` as configured; `at`: the places tried. */
  constructor(configured: string, at: string[]) {
    super(configured, "", at.join(" and "));
    this.message = `AUTH_ISSUER is "${configured}", but there is no authorization server ` +
      `metadata at ${at.join(" or ")}: set AUTH_ISSUER to the issuer's exact identifier (the ` +
      "issuer value of its metadata, which its tokens carry in iss)";
    this.name = "IssuerNotFoundError";
  }
}

/** Where metadata for `issuer` may be, in the order tried (RFC 8414 first, then OpenID). */
function metadataUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  return [
    new URL(`/.well-known/oauth-authorization-server${path}`, url.origin),
    new URL(`${path}/.well-known/openid-configuration`, url.origin),
  ];
}

/**
 * Fetches `issuer`'s metadata, each place under `timeoutMs`.
 *
 * @throws {IssuerMismatchError} when metadata is found but names another issuer (and none names
 *   this one).
 * @throws {Error} when no usable metadata is found (unreachable, not JSON, no `jwks_uri`, keys not
 *   over https for an https issuer).
 */
export async function fetchIssuerMetadata(
  issuer: string,
  timeoutMs = 5_000,
): Promise<IssuerMetadata> {
  let mismatch: IssuerMismatchError | undefined;
  let missing = 0;
  const answers: string[] = [];
  const candidates = metadataUrls(issuer);
  for (const candidate of candidates) {
    // Each place on its own: one unreachable, redirecting or answering a page of HTML (an app's
    // catch-all) must not hide the other.
    let metadata: { issuer?: unknown; jwks_uri?: unknown; scopes_supported?: unknown };
    try {
      const response = await fetch(candidate, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "error",
      });
      if (!response.ok) {
        await response.body?.cancel();
        if (response.status >= 400 && response.status < 500) missing++;
        answers.push(`${response.status} at ${candidate.href}`);
        continue;
      }
      metadata = await response.json();
    } catch (error) {
      // Which place, and why (refused, timed out, a certificate): "fetch failed" says neither.
      const cause = (error as Error)?.cause as Error | undefined;
      answers.push(
        `${candidate.href} ${
          error instanceof SyntaxError ? "is not JSON" : "could not be reached"
        } (${cause?.message ?? (error as Error)?.message ?? String(error)})`,
      );
      continue;
    }
    if (metadata?.issuer !== issuer) {
      // The other place may still describe this issuer exactly (a path-based issuer).
      if (typeof metadata?.issuer === "string") {
        mismatch ??= new IssuerMismatchError(issuer, metadata.issuer, candidate.href);
      } else answers.push(`${candidate.href} names no issuer`);
      continue;
    }
    if (typeof metadata.jwks_uri !== "string" || !/^https?:\/\//.test(metadata.jwks_uri)) {
      throw new Error(`metadata at ${candidate} has no usable jwks_uri`);
    }
    // Keys fetched in the clear could be swapped by anyone on the path: an https issuer's keys
    // must come over https too.
    if (issuer.startsWith("https:") && !metadata.jwks_uri.startsWith("https://")) {
      throw new Error(`metadata at ${candidate} has a jwks_uri that is not https`);
    }
    const scopes = Array.isArray(metadata.scopes_supported)
      ? metadata.scopes_supported.filter((s): s is string => typeof s === "string")
      : undefined;
    return {
      at: candidate.href,
      jwksUri: metadata.jwks_uri,
      ...(scopes ? { scopesSupported: scopes } : {}),
    };
  }
  if (mismatch) throw mismatch;
  if (missing === candidates.length) {
    throw new IssuerNotFoundError(issuer, candidates.map((c) => c.href));
  }
  throw new Error(`no authorization server metadata for ${issuer} (${answers.join(", ")})`);
}
