/**
 * `--sign-in`: the doctor completes a sign-in the way a host does — registers a public client,
 * sends the person to the authorization endpoint with PKCE, exchanges the code, refreshes — where
 * it can: the kit's development sign-in, whose form it fills in itself (as "doctor"). Elsewhere it
 * reports how far it got: a real sign-in page needs a real person.
 *
 * @module
 */
import { cappedText, followable, parsed, type Probe, TIMEOUT_MS } from "./checks.ts";

const REDIRECT = "http://127.0.0.1:9/doctor-callback";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** The forms of an HTML page: action and fields (hidden and text inputs with a value). */
function formsOf(html: string): { action: string; fields: Record<string, string> }[] {
  return [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => ({
    action: m[1],
    fields: Object.fromEntries(
      [...m[2].matchAll(/<input\b[^>]*>/g)].flatMap(([tag]) => {
        const name = /\bname="([^"]+)"/.exec(tag)?.[1];
        const value = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? "";
        return name ? [[name, value.replace(/&quot;/g, '"').replace(/&amp;/g, "&")]] : [];
      }),
    ),
  }));
}

/** A cookie jar, one per origin, every request under the doctor's deadline. */
class Browser {
  #jars = new Map<string, Map<string, string>>();
  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.#jars.get(origin) ?? new Map<string, string>();
    this.#jars.set(origin, jar);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(url, {
      ...init,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  }
}

/** POSTs and reads a JSON answer, bounded in time and size; `{}` when it fails. */
async function postJson(
  url: string,
  body: BodyInit,
  type: string,
): Promise<Record<string, unknown>> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": type },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return parsed(await cappedText(response)) ?? {};
  } catch {
    return {};
  }
}

/** Signs in as a host would; returns an access token, or `undefined` having said why not. */
export async function signIn(probe: Probe): Promise<string | undefined> {
  const as = probe.authServer;
  const step = (reason: string, fix: string) => {
    probe.findings.push({ check: "sign-in", hosts: [], reason, fix, level: "warn" });
    return undefined;
  };
  if (!as || typeof as.registration_endpoint !== "string") {
    return step(
      "could not try a sign-in: no registration endpoint was found",
      "see the checks above",
    );
  }
  const endpoints = [as.registration_endpoint, as.authorization_endpoint, as.token_endpoint];
  if (!endpoints.every((e) => typeof e === "string" && followable(probe, e))) {
    return step(
      "could not try a sign-in: an endpoint is missing or not a public http(s) URL",
      "see the checks above",
    );
  }
  const registered = await postJson(
    as.registration_endpoint,
    JSON.stringify({
      client_name: "kit-doctor (sign-in)",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    }),
    "application/json",
  );
  if (typeof registered.client_id !== "string") return step("registration failed", "see above");
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const authorize = new URL(String(as.authorization_endpoint));
  for (
    const [k, v] of Object.entries({
      response_type: "code",
      client_id: String(registered.client_id),
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "doctor",
      resource: probe.url,
    })
  ) authorize.searchParams.set(k, v);
  const browser = new Browser();
  const page = await browser.go(authorize.href);
  const signInForm = formsOf(await cappedText(page).catch(() => "")).find((f) =>
    "identity" in f.fields
  );
  if (page.status !== 200 || !signInForm) {
    return step(
      `reached the sign-in page (${page.status}); it is not the kit's development sign-in, so the doctor stops there`,
      "finish a sign-in by hand in a host (MCP Inspector shows each step)",
    );
  }
  // Forms post only back to the authorization server itself.
  const post = (form: { action: string; fields: Record<string, string> }, extra = {}) => {
    const target = new URL(form.action, authorize);
    if (target.origin !== authorize.origin) {
      throw new Error(`a form posts to another origin (${target.origin})`);
    }
    return browser.go(target.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form.fields, ...extra }),
    });
  };
  const consent = await post(signInForm, { identity: "doctor" });
  const allow = formsOf(await cappedText(consent).catch(() => "")).find((f) =>
    f.fields.decision === "allow"
  );
  if (!allow) {
    return step(`the consent page did not come (${consent.status})`, "check the server log");
  }
  const back = await post(allow);
  const location = back.headers.get("location");
  await back.body?.cancel();
  const returned = location ? new URL(location) : undefined;
  const code = returned?.searchParams.get("code");
  if (!code) return step(`no code came back (${back.status})`, "check the server log");
  if (returned!.searchParams.get("iss") !== as.issuer) {
    probe.findings.push({
      check: "RFC 9207",
      hosts: ["claude.ai", "ChatGPT"],
      reason: "the redirect does not carry iss equal to the issuer",
      fix: "add iss to the authorization response",
      level: "warn",
    });
  }
  const tokens = await postJson(
    String(as.token_endpoint),
    new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: String(registered.client_id),
      code_verifier: verifier,
      resource: probe.url,
    }),
    "application/x-www-form-urlencoded",
  );
  if (typeof tokens.access_token !== "string") {
    return step(
      `the code was not exchanged (${JSON.stringify(tokens.error ?? tokens)})`,
      "check the token endpoint",
    );
  }
  probe.passed.push(`sign-in completed (access token for ${tokens.expires_in} s)`);
  if (typeof tokens.refresh_token !== "string") {
    probe.findings.push({
      check: "refresh tokens",
      hosts: ["claude.ai", "ChatGPT", "Claude Code"],
      reason:
        `no refresh token with a ${tokens.expires_in}-second access token: a new sign-in each time it expires`,
      fix: "issue refresh tokens",
      level: "warn",
    });
  } else {
    const refreshed = await postJson(
      String(as.token_endpoint),
      new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: String(registered.client_id),
        resource: probe.url,
      }),
      "application/x-www-form-urlencoded",
    );
    if (typeof refreshed.access_token === "string") probe.passed.push("refresh token rotates");
    else {
      probe.findings.push({
        check: "refresh tokens",
        hosts: ["claude.ai", "ChatGPT", "Claude Code"],
        reason:
          "the refresh token was refused right after sign-in: hosts disconnect when the access token expires",
        fix: "accept the refresh token (and rotate it)",
        level: "fail",
      });
    }
  }
  return tokens.access_token;
}
