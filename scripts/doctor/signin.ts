/**
 * `--sign-in`: the doctor completes a sign-in the way a host does — registers a public client,
 * sends the person to the authorization endpoint with PKCE, exchanges the code, refreshes — where
 * it can: the kit's development sign-in, whose form it fills in itself (as "doctor"). Elsewhere it
 * reports how far it got: a real sign-in page needs a real person. Wherever it stops, the checks
 * that needed the sign-in (both protocol eras, the tools) are reported as not checked, and why.
 *
 * @module
 */
import { type Form, formsOf } from "./forms.ts";
import { type Answer, answered, followable, jsonOf, locationOf, send, wordsOf } from "./http.ts";
import { ALL_HOSTS, found, ours, passed, type Probe, type Text, text } from "./probe.ts";
import { isTemporary, refusal, register } from "./registration.ts";

const REDIRECT = "http://127.0.0.1:9/doctor-callback";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** A cookie jar, one per origin; every request goes through {@linkcode send}. */
class Browser {
  #jars = new Map<string, Map<string, string>>();
  async go(url: string, init: RequestInit = {}): Promise<Answer> {
    const origin = new URL(url).origin;
    const jar = this.#jars.get(origin) ?? new Map<string, string>();
    this.#jars.set(origin, jar);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const answer = await send(url, { ...init, headers });
    for (const cookie of answer.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return answer;
  }
}

/** POSTs a form to a token endpoint. */
function postForm(url: string, fields: Record<string, string>): Promise<Answer> {
  return send(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields),
  });
}

/** Signs in as a host would; returns an access token, or `undefined` having said why not. */
export async function signIn(probe: Probe): Promise<string | undefined> {
  const as = probe.authServer;
  const stop = (reason: Text | string, fix: Text | string) => {
    found(
      probe,
      "unchecked",
      "sign-in",
      ALL_HOSTS,
      text`${
        typeof reason === "string" ? ours(reason) : reason
      }; so both protocol eras and the tools were not checked`,
      fix,
    );
    return undefined;
  };
  if (!as || typeof as.registration_endpoint !== "string") {
    return stop(
      "the doctor found no registration endpoint to register at",
      "see the other findings",
    );
  }
  const { registration_endpoint: endpoint, authorization_endpoint, token_endpoint } = as;
  if (
    ![endpoint, authorization_endpoint, token_endpoint].every((e) =>
      typeof e === "string" && followable(probe, e)
    )
  ) {
    return stop(
      "an endpoint in the metadata is missing or not a public http(s) URL",
      "see the other findings",
    );
  }
  const authorizeAt = String(authorization_endpoint);
  const tokenAt = String(token_endpoint);
  const registered = await register(probe, endpoint, {
    client_name: "kit-doctor (sign-in)",
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  });
  const clientId = registered.clientId;
  if (!clientId) {
    // Named as the registration check, so "dynamic client registration" is not listed as passed.
    found(
      probe,
      "unchecked",
      "client registration",
      ALL_HOSTS,
      text`the doctor's registration for its sign-in was refused, ${
        refusal(probe, registered.answer)
      }; so the sign-in, both protocol eras and the tools were not checked`,
      isTemporary(registered.answer)
        ? "run the doctor again after the Retry-After time; if hosts meet the same cap, raise it"
        : "accept a public client (token_endpoint_auth_method none) with a loopback redirect URI, as desktop hosts register (RFC 8252)",
    );
    return undefined;
  }
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const authorize = new URL(authorizeAt);
  for (
    const [k, v] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "doctor",
      resource: probe.url,
    })
  ) authorize.searchParams.set(k, v);
  const browser = new Browser();
  const page = await browser.go(authorize.href);
  const signInForm = page.status === 200
    ? formsOf(page.body).find((f) => "identity" in f.fields)
    : undefined;
  if (!signInForm) {
    return stop(
      text`the sign-in page (${
        answered(probe, page)
      }) is not the kit's development sign-in, the only one the doctor fills in`,
      "finish a sign-in by hand in a host (MCP Inspector shows each step)",
    );
  }
  // Forms post only back to the authorization server itself.
  const post = (form: Form, extra: Record<string, string> = {}) => {
    let target: URL;
    try {
      target = new URL(form.action, authorize);
    } catch {
      return undefined;
    }
    if (target.origin !== authorize.origin) return undefined;
    return browser.go(target.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form.fields, ...extra }),
    });
  };
  const elsewhere = (form: Form) =>
    stop(
      text`a form posts to ${form.action}, not to the authorization server's own origin`,
      "post the sign-in forms back to the authorization server",
    );
  const consent = await post(signInForm, { identity: "doctor" });
  if (!consent) return elsewhere(signInForm);
  const allow = formsOf(consent.body).find((f) => f.fields.decision === "allow");
  if (!allow) {
    return stop(
      text`the consent page did not come (${answered(probe, consent)})`,
      "check the server log",
    );
  }
  const back = await post(allow);
  if (!back) return elsewhere(allow);
  const location = locationOf(back);
  let returned: URL | undefined;
  try {
    returned = location ? new URL(location) : undefined;
  } catch {
    returned = undefined;
  }
  const code = returned?.searchParams.get("code");
  if (!returned || !code) {
    const error = returned?.searchParams.get("error");
    return stop(
      error
        ? text`the authorization answered error ${error} ${
          returned?.searchParams.get("error_description") ?? ""
        }`
        : text`no code came back (${answered(probe, back)})`,
      "check the server log",
    );
  }
  if (returned.searchParams.get("iss") !== as.issuer) {
    found(
      probe,
      "warn",
      "RFC 9207",
      ["claude.ai", "ChatGPT"],
      "the redirect does not carry iss equal to the issuer",
      "add iss to the authorization response",
    );
  }
  const exchanged = await postForm(tokenAt, {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    client_id: clientId,
    code_verifier: verifier,
    resource: probe.url,
  });
  const tokens = jsonOf(exchanged) ?? {};
  if (exchanged.status !== 200 || typeof tokens.access_token !== "string") {
    return stop(
      text`the code was not exchanged: the token endpoint answered ${answered(probe, exchanged)}${
        wordsOf(exchanged)
      }`,
      "check the token endpoint",
    );
  }
  passed(probe, "sign-in", text`sign-in completed (access token for ${tokens.expires_in} s)`);
  if (typeof tokens.refresh_token !== "string") {
    found(
      probe,
      "warn",
      "refresh tokens",
      ["claude.ai", "ChatGPT", "Claude Code"],
      text`no refresh token with a ${tokens.expires_in}-second access token: a new sign-in each time it expires`,
      "issue refresh tokens",
    );
    return tokens.access_token;
  }
  const refreshed = await postForm(tokenAt, {
    grant_type: "refresh_token",
    refresh_token: tokens.refresh_token,
    client_id: clientId,
    resource: probe.url,
  });
  if (typeof jsonOf(refreshed)?.access_token === "string") {
    passed(probe, "refresh tokens", "refresh token rotates");
  } else {
    found(
      probe,
      "fail",
      "refresh tokens",
      ["claude.ai", "ChatGPT", "Claude Code"],
      text`the refresh token was refused right after sign-in (${answered(probe, refreshed)}${
        wordsOf(refreshed)
      }): hosts disconnect when the access token expires`,
      "accept the refresh token (and rotate it)",
    );
  }
  return tokens.access_token;
}
