/**
 * A real external authorization server for end-to-end tests: Better Auth 1.x with its MCP plugin
 * (`@better-auth/mcp`, the OAuth 2.1 provider bound to one MCP resource) and the JWT plugin, on a
 * loopback port under `Deno.serve`, configured the way a builder configures it for this kit —
 * open dynamic client registration that accepts local hosts' loopback redirects, JWT access tokens
 * whose audience is the MCP resource and carry `mcp` and `email`, refresh tokens for
 * `offline_access` — with an email-and-password account and sign-in and consent completed by the
 * program, so no browser is needed.
 *
 * @module
 */
import { pkcePair, tokenRequest, type TokenSet } from "./real_issuer.ts";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { getAuthTables } from "better-auth/db";
import { jwt } from "better-auth/plugins";
import { mcp } from "@better-auth/mcp";
import { oauthProviderAuthServerMetadata } from "@better-auth/oauth-provider";

/** Where Better Auth's routes live (its default): the issuer identifier ends in it. */
const BASE_PATH = "/api/auth";
/** The issuer's own pages; the program acts on them instead of a person. */
const LOGIN_PAGE = "/sign-in";
const CONSENT_PAGE = "/consent";

/** What the tests read of the issuer's metadata. */
export interface IssuerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
  jwks_uri: string;
  scopes_supported?: string[];
}

/** A running Better Auth. */
export interface BetterAuthIssuer extends AsyncDisposable {
  /** The issuer identifier, exactly as Better Auth writes it in its metadata and tokens. */
  issuer: string;
  /** The account's credentials, for signing in. */
  email: string;
  password: string;
  /** The account's user id, the `sub` of its tokens. */
  userId: string;
  /** Pages the programmatic user agent passed so far (`login`, `consent`). */
  prompts: string[];
  /** Errors Better Auth logged. */
  errors: string[];
  /** The issuer's metadata (RFC 8414). */
  metadata(): Promise<IssuerMetadata>;
  close(): Promise<void>;
}

/**
 * Starts Better Auth on http://127.0.0.1:<free port> as the authorization server for `resource`
 * (the MCP server's `/mcp` URL, which must be known before the server starts), with one account.
 * `otherResources` are further resources it issues tokens for.
 */
export async function startBetterAuth(settings: {
  resource: string;
  otherResources?: string[];
}): Promise<BetterAuthIssuer> {
  const errors: string[] = [];
  const prompts: string[] = [];
  // The listener comes first: the base URL carries the port.
  let handle: (request: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handle(request),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;

  try {
    // The in-memory adapter holds one array per table; each must exist before the first query.
    const tables: Record<string, Record<string, unknown>[]> = {};
    const options = {
      baseURL: origin,
      basePath: BASE_PATH,
      secret: "kit-test-better-auth-secret-not-a-secret-0123456789",
      database: memoryAdapter(tables),
      emailAndPassword: { enabled: true },
      telemetry: { enabled: false },
      logger: {
        level: "error",
        log: (level, message, ...args) => {
          if (level === "error") errors.push(`${message} ${args.map(String).join(" ")}`.trim());
        },
      },
      plugins: [
        // Signs the access tokens (EdDSA by default) and publishes the keys at /api/auth/jwks.
        jwt(),
        mcp({
          resource: settings.resource,
          resources: settings.otherResources,
          loginPage: LOGIN_PAGE,
          consentPage: CONSENT_PAGE,
          // `mcp` is what /mcp requires; `offline_access` is what gets a refresh token.
          scopes: ["openid", "profile", "email", "offline_access", "mcp"],
          // Hosts register themselves (RFC 7591) without any credential.
          allowDynamicClientRegistration: true,
          allowUnauthenticatedClientRegistration: true,
          // Local hosts register `http://127.0.0.1:<port>/callback` without `application_type`; as
          // a `web` client (the default) that is refused ("web clients require https redirect URIs
          // on non-loopback hosts"): inferred, a loopback redirect makes the client `native`.
          clientRegistrationDefaultApplicationType: "infer",
          // The MCP resource is linked to every registered client; a registration may also ask
          // for these (RFC 7591 metadata `resources`).
          clientRegistrationAllowedResources: settings.otherResources,
          customAccessTokenClaims: ({ user }) => (user?.email ? { email: user.email } : {}),
        }),
      ],
    } satisfies BetterAuthOptions;
    for (const table of Object.values(getAuthTables(options))) tables[table.modelName] = [];
    const auth = betterAuth(options);

    handle = async (request) => {
      const url = new URL(request.url);
      // RFC 8414 metadata of an issuer with a path is at the origin's root with the path appended,
      // outside Better Auth's routes: the application serves it (the OpenID document, under the
      // path, Better Auth's handler answers itself).
      if (url.pathname === `/.well-known/oauth-authorization-server${BASE_PATH}`) {
        return await oauthProviderAuthServerMetadata(auth)(request);
      }
      if (url.pathname.startsWith(`${BASE_PATH}/`)) return await auth.handler(request);
      if (url.pathname === LOGIN_PAGE || url.pathname === CONSENT_PAGE) {
        return new Response("<!doctype html><title>A page for a person</title>", {
          headers: { "content-type": "text/html" },
        });
      }
      return new Response("not found", { status: 404 });
    };

    const email = "alice@example.com";
    const password = "correct horse battery staple";
    const signedUp = await auth.api.signUpEmail({ body: { email, password, name: "Alice" } });
    const { issuer } = await fetchMetadata(origin);

    const close = async () => {
      await server.shutdown();
    };
    return {
      issuer,
      email,
      password,
      userId: signedUp.user.id,
      prompts,
      errors,
      metadata: () => fetchMetadata(origin),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await server.shutdown();
    throw error;
  }
}

/** The RFC 8414 metadata of the issuer at `origin`. */
async function fetchMetadata(origin: string): Promise<IssuerMetadata> {
  const response = await fetch(`${origin}/.well-known/oauth-authorization-server${BASE_PATH}`);
  if (!response.ok) {
    throw new Error(`metadata answered ${response.status}: ${await response.text()}`);
  }
  return await response.json();
}

/**
 * A browser-less user agent for Better Auth's authorization redirects: keeps cookies, follows by
 * hand, and acts on the issuer's pages as the person would — on the sign-in page it signs in with
 * the account's email and password, on the consent page it allows everything asked — each time
 * sending back the signed query the page was given, as Better Auth's pages do.
 */
export class BetterAuthWalker {
  #cookies = new Map<string, string>();
  constructor(readonly issuer: BetterAuthIssuer) {}

  /**
   * Follows `url` until a redirect leads to `callback` (returned, not fetched). Throws with the
   * status and body of any answer that is neither a redirect nor one of the issuer's pages.
   */
  async follow(url: URL, callback: string): Promise<URL> {
    const origin = new URL(this.issuer.issuer).origin;
    let current = url;
    for (let hop = 0; hop < 12; hop++) {
      if (current.href.startsWith(callback)) return current;
      let response: Response;
      const page = current.origin === origin ? current.pathname : undefined;
      if (page === LOGIN_PAGE || page === CONSENT_PAGE) {
        this.issuer.prompts.push(page === LOGIN_PAGE ? "login" : "consent");
        const oauthQuery = current.search.slice(1);
        response = page === LOGIN_PAGE
          ? await this.#post(`${this.issuer.issuer}/sign-in/email`, {
            email: this.issuer.email,
            password: this.issuer.password,
            oauth_query: oauthQuery,
          })
          : await this.#post(`${this.issuer.issuer}/oauth2/consent`, {
            accept: true,
            oauth_query: oauthQuery,
          });
      } else {
        response = await this.#request(current, {});
      }
      const next = await nextLocation(response);
      if (!next) {
        throw new Error(
          `${current.pathname} answered ${response.status}: ${await response.text()}`,
        );
      }
      current = new URL(next, current);
    }
    throw new Error(`too many redirects (last ${current.href})`);
  }

  /** POSTs JSON from the issuer's own origin, as its pages' scripts do. */
  #post(url: string, body: Record<string, unknown>) {
    return this.#request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: new URL(this.issuer.issuer).origin,
      },
      body: JSON.stringify(body),
    });
  }

  async #request(url: string | URL, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) {
      headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /max-age=0/i.test(cookie)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}

/**
 * Where an answer sends the user agent: a 3xx `Location`, or the `{ redirect: true, url }` body
 * Better Auth answers to requests made by a page's script. Consumes the body when it returns.
 */
async function nextLocation(response: Response): Promise<string | undefined> {
  const location = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && location) {
    await response.body?.cancel();
    return location;
  }
  if (response.status !== 200) return undefined;
  if (!response.headers.get("content-type")?.includes("application/json")) return undefined;
  const body = await response.clone().json();
  if (body?.redirect === true && typeof body.url === "string") {
    await response.body?.cancel();
    return body.url;
  }
  return undefined;
}

/**
 * A client of the issuer's own, without the MCP client: registers (asking for `resource` through
 * the registration's `resources` extension), authorizes with PKCE for `resource` and `scope` as
 * the account, and exchanges the code. Returns the tokens and how to refresh them.
 */
export async function authorizeDirectly(
  issuer: BetterAuthIssuer,
  options: { resource: string; scope: string; callback: string },
) {
  const metadata = await issuer.metadata();
  const registration = await fetch(metadata.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: [options.callback],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      resources: [options.resource],
    }),
  });
  if (registration.status !== 201) {
    throw new Error(`registration answered ${registration.status}: ${await registration.text()}`);
  }
  const clientId: string = (await registration.json()).client_id;
  const { verifier, challenge } = await pkcePair();
  const authorize = new URL(metadata.authorization_endpoint);
  for (
    const [name, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: options.callback,
      scope: options.scope,
      resource: options.resource,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: crypto.randomUUID(),
    })
  ) authorize.searchParams.set(name, value);
  const back = await new BetterAuthWalker(issuer).follow(authorize, options.callback);
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code: ${back.search}`);
  const tokenEndpoint = metadata.token_endpoint;
  const tokens = await tokenRequest(tokenEndpoint, {
    grant_type: "authorization_code",
    code,
    redirect_uri: options.callback,
    client_id: clientId,
    code_verifier: verifier,
    resource: options.resource,
  });
  return { clientId, tokenEndpoint, tokens };
}

export { tokenRequest, type TokenSet };
