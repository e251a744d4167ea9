/**
 * Test-side OAuth pieces: an in-memory `OAuthClientProvider` for the real MCP client, a loopback
 * callback, and a cookie-keeping walker that signs in and decides by submitting the server's real
 * HTML forms.
 *
 * @module
 */
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from "@modelcontextprotocol/client";

/** Everything the client keeps between runs, in memory, with a record of what happened. */
export class MemoryOAuthProvider implements OAuthClientProvider {
  #client?: StoredOAuthClientInformation;
  #tokens?: StoredOAuthTokens;
  #verifier = "";
  #discovery?: OAuthDiscoveryState;
  /** Where the client last asked to send the person. */
  authorizationUrl?: URL;
  /** Every token set saved, oldest first. */
  readonly savedTokens: StoredOAuthTokens[] = [];

  /**
   * @param redirectUri Where the authorization server sends the person back.
   * @param clientMetadataUrl When set, the client identifies by this metadata document URL (CIMD).
   */
  constructor(readonly redirectUri: string, readonly clientMetadataUrl?: string) {}

  get redirectUrl(): string {
    return this.redirectUri;
  }
  get clientMetadata(): OAuthClientMetadata {
    return clientMetadataFor(this.redirectUri);
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.#tokens = tokens;
    this.savedTokens.push(tokens);
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.#discovery = state;
  }
  discoveryState() {
    return this.#discovery;
  }
  /** Replaces the stored access token, keeping the refresh token (to force a refresh). */
  spoilAccessToken() {
    if (this.#tokens) this.#tokens = { ...this.#tokens, access_token: "expired-or-garbage" };
  }
}

/** The metadata a test client registers (or publishes as its metadata document). */
export function clientMetadataFor(redirectUri: string, clientId?: string) {
  return {
    ...(clientId ? { client_id: clientId } : {}),
    client_name: "Reading Room test client",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
}

/** A form as the page declares it: where it posts and its fields. */
export interface PageForm {
  action: string;
  fields: Record<string, string>;
}

/** Extracts the POST forms of a page with their hidden and prefilled fields. */
export function formsOf(html: string): PageForm[] {
  const forms: PageForm[] = [];
  for (const match of html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of match[2].matchAll(/<input([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1])?.[1];
      const value = /value="([^"]*)"/.exec(input[1])?.[1] ?? "";
      if (name) fields[name] = unescapeHtml(value);
    }
    forms.push({ action: match[1], fields });
  }
  return forms;
}

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(
    /&gt;/g,
    ">",
  ).replace(/&amp;/g, "&");
}

/** A browser-less user agent: keeps cookies, never follows redirects on its own. */
export class FormWalker {
  #cookies = new Map<string, string>();

  /** Fetches `url` with the cookie jar; returns the response (redirects not followed). */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) {
      headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  }

  /** Submits `form` (as found on a page at `base`) with `extra` fields. */
  submit(base: string | URL, form: PageForm, extra: Record<string, string> = {}) {
    return this.request(new URL(form.action, base), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form.fields, ...extra }),
    });
  }

  /** Forgets cookies (a different browser). */
  clearCookies() {
    this.#cookies.clear();
  }
}

/**
 * Walks sign-in and consent like a person: open the authorization URL, type `identity`, then press
 * Allow or Deny. Returns the URL the server redirects back to.
 */
export async function signInAndDecide(
  authorizationUrl: URL,
  identity: string,
  decision: "allow" | "deny" = "allow",
): Promise<URL> {
  const walker = new FormWalker();
  const signInPage = await walker.request(authorizationUrl);
  if (signInPage.status !== 200) {
    throw new Error(`sign-in page: ${signInPage.status} ${await signInPage.text()}`);
  }
  const [signInForm] = formsOf(await signInPage.text());
  const consentPage = await walker.submit(authorizationUrl, signInForm, { identity });
  if (consentPage.status !== 200) throw new Error(`consent page: ${consentPage.status}`);
  const form = formsOf(await consentPage.text()).find((f) => f.fields.decision === decision);
  if (!form) throw new Error(`no ${decision} button`);
  const back = await walker.submit(authorizationUrl, form);
  const location = back.headers.get("location");
  if (back.status !== 303 || !location) throw new Error(`decision answered ${back.status}`);
  return new URL(location);
}
