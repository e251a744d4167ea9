/**
 * A real external authorization server for end-to-end tests: `oidc-provider` (npm, run under
 * Deno's Node compatibility) on a loopback port, configured the way a builder configures it for
 * this kit — dynamic client registration, resource indicators, ES256 JWT access tokens whose
 * audience is the MCP resource, refresh tokens — with sign-in and consent completed by the
 * program, so no browser is needed.
 *
 * @module
 */
import { pkcePair, tokenRequest, type TokenSet } from "./real_issuer.ts";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import { exportJWK, generateKeyPair } from "jose";

/** What a resource server is given by the issuer. */
interface ResourceServerInfo {
  scope: string;
  audience: string;
  accessTokenFormat: "jwt";
  jwt: { sign: { alg: "ES256" } };
}

/** A running oidc-provider. */
export interface OidcProviderIssuer extends AsyncDisposable {
  /** The issuer identifier, exactly as oidc-provider writes it in its metadata and tokens. */
  issuer: string;
  /** The loopback port it listens on (a restart on it keeps the issuer identifier). */
  port: number;
  /** The signing key (private JWK with `kid` and `alg`), for tests that re-sign real claims. */
  signingJwk: Record<string, unknown>;
  /** The `kid` of the signing key. */
  kid: string;
  /**
   * Names the resources the issuer issues tokens for: the first is the default one (used when a
   * request names none), each gets tokens whose audience is itself.
   */
  serveResources(resources: string[]): void;
  /** The account every sign-in ends as. */
  accountId: string;
  /** Prompts completed so far by the programmatic interaction handler (`login`, `consent`). */
  prompts: string[];
  /** Errors oidc-provider reported (server errors, grant and authorization errors). */
  errors: string[];
  /** Every request it received, as `METHOD /path` (query strings left out). */
  requests: string[];
  close(): Promise<void>;
}

/** Scope every resource's tokens may carry. */
export const RESOURCE_SCOPE = "mcp offline_access";

/** Options of {@linkcode startOidcProvider}. */
export interface OidcProviderOptions {
  /** The account every sign-in ends as (default `alice`). */
  accountId?: string;
  /**
   * The port to listen on (default: a free one). The port of an issuer just closed starts it
   * again under the same identifier, as an issuer restarts: with nothing of its former state.
   */
  port?: number;
  /** The `kid` of the signing key made at start (default `oidc-provider-es256`). */
  kid?: string;
  /** A signing key to keep (an issuer whose keys outlive a restart); `kid` is then its own. */
  signingJwk?: Record<string, unknown>;
}

/**
 * Starts oidc-provider on http://127.0.0.1:<port>; every sign-in ends as `accountId`.
 */
export async function startOidcProvider(
  options: OidcProviderOptions = {},
): Promise<OidcProviderIssuer> {
  const accountId = options.accountId ?? "alice";
  let signingJwk = options.signingJwk;
  if (!signingJwk) {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const kid = options.kid ?? "oidc-provider-es256";
    signingJwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
  }
  const kid = String(signingJwk.kid);
  let resources: string[] = [];
  const prompts: string[] = [];
  const errors: string[] = [];
  const requests: string[] = [];

  // The listener comes first: the issuer identifier carries the port.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const http = createServer((req, res) => {
    requests.push(`${req.method} ${req.url?.split("?")[0]}`);
    handle(req, res);
  });
  // A port not free (another process took it meanwhile) rejects instead of hanging.
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, "127.0.0.1", () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;

  const resourceServerInfo = (resource: string): ResourceServerInfo => ({
    scope: RESOURCE_SCOPE,
    audience: resource,
    accessTokenFormat: "jwt",
    jwt: { sign: { alg: "ES256" } },
  });

  const provider = new Provider(`http://127.0.0.1:${port}`, {
    jwks: { keys: [signingJwk] },
    // Only an ES256 key is published: without this, registration is refused
    // ("id_token_signed_response_alg must be 'ES256'").
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    // Hosts register `scope: "mcp offline_access"`; a registered scope must be one the issuer
    // lists, so `mcp` is listed beside the OpenID ones (otherwise registration is refused:
    // "scope must only contain Authorization Server supported scope values").
    scopes: ["openid", "offline_access", "mcp"],
    cookies: { keys: ["kit-test-cookie-key-not-a-secret"] },
    features: {
      // A real issuer shows its own sign-in and consent pages; here the program completes them.
      devInteractions: { enabled: false },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A request naming no resource gets tokens for the MCP endpoint.
        defaultResource: () => resources[0],
        // The token request may omit `resource`: the one granted at authorization is used.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (!resources.includes(indicator)) throw new provider.errors.InvalidTarget();
          return resourceServerInfo(indicator);
        },
      },
    },
    // oidc-provider's default issues a refresh token only when the grant holds `offline_access`
    // (which also needs `prompt=consent` in the authorization request) and the client registered
    // the `refresh_token` grant type. Hosts that never ask for `offline_access` (claude.ai) would
    // get none: here the registered grant type alone is enough.
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed("refresh_token"),
    ttl: {
      AccessToken: 300,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 24 * 3600,
    },
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.com` }),
    }),
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
  });
  for (
    const event of [
      "server_error",
      "grant.error",
      "authorization.error",
      "registration_create.error",
    ]
  ) {
    provider.on(event, (_ctx: unknown, error: Error & { error_description?: string }) => {
      errors.push(`${event}: ${error.message} ${error.error_description ?? ""}`.trim());
    });
  }

  /** Completes whatever the interaction asks for: sign-in as `accountId`, then consent to all. */
  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params } = details;
    prompts.push(prompt.name);
    if (prompt.name === "login") {
      await provider.interactionFinished(req, res, { login: { accountId } }, {
        mergeWithLastSubmission: false,
      });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    grant.addOIDCScope(["openid", ...(missing.missingOIDCScope ?? [])].join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(" "));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }

  const app = provider.callback();
  handle = (req, res) => {
    if (req.method === "GET" && req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((error) => {
        errors.push(`interaction: ${error instanceof Error ? error.message : error}`);
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    app(req, res);
  };

  // Closing twice is closing once: a test may stop the issuer before its disposal does.
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return {
    issuer: provider.issuer,
    port,
    signingJwk,
    kid,
    accountId,
    prompts,
    errors,
    requests,
    serveResources: (list) => (resources = [...list]),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A browser-less user agent for authorization redirects: keeps cookies, follows by hand. */
export class RedirectWalker {
  #cookies = new Map<string, string>();

  /**
   * Follows `url` through every redirect until one leads to `callback` (returned, not fetched).
   * Throws with the status and body of any answer that is no redirect.
   */
  async follow(url: URL, callback: string): Promise<URL> {
    let current = url;
    for (let hop = 0; hop < 12; hop++) {
      if (current.href.startsWith(callback)) return current;
      const headers = new Headers();
      if (this.#cookies.size) {
        headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
      }
      const response = await fetch(current, { headers, redirect: "manual" });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(";");
        const eq = pair.indexOf("=");
        const value = pair.slice(eq + 1).trim();
        const name = pair.slice(0, eq).trim();
        if (value === "" || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.#cookies.delete(name);
        else this.#cookies.set(name, value);
      }
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new Error(
          `${current.pathname} answered ${response.status}: ${await response.text()}`,
        );
      }
      await response.body?.cancel();
      current = new URL(location, current);
    }
    throw new Error(`too many redirects (last ${current.href})`);
  }
}

/**
 * A client of the issuer's own, without the MCP client: registers, authorizes with PKCE for
 * `resource` and `scope`, and exchanges the code. Returns the tokens and how to refresh them.
 */
export async function authorizeDirectly(
  issuer: string,
  options: { resource: string; scope: string; callback: string },
) {
  const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const registration = await fetch(metadata.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: [options.callback],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
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
  const back = await new RedirectWalker().follow(authorize, options.callback);
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code: ${back.search}`);
  const tokenEndpoint: string = metadata.token_endpoint;
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
