/**
 * The authorization endpoint (authorization-code flow with PKCE S256 only): validate the request,
 * sign the person in, ask for consent, and send them back with a code and `iss` (RFC 9207).
 *
 * Until the client and its redirect URI are verified, errors are shown on a page and never
 * redirected: redirecting to an unverified URI would make us an open redirector.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { clientAddress } from "../http/client_address.ts";
import { ClientError, findClient, keepClient, type OAuthClient } from "./clients.ts";
import { displayText } from "./display_text.ts";
import { issueAuthorizationCode } from "./grants.ts";
import { securePageHeaders } from "../http/page_shell.ts";
import { expiry, hashSecret, randomSecret, readFresh } from "./kv_records.ts";
import { signinKeys } from "./kv_keys.ts";
import { indexForPerson } from "../kv/person_keys.ts";
import { type ClientView, consentPage, errorPage, type PageFrame, signInPage } from "./pages.ts";
import type { SigninContext } from "./context.ts";

/** An authorization request between its arrival and the person's decision. */
interface PendingRequest {
  clientId: string;
  client: ClientView;
  redirectUri: string;
  codeChallenge: string;
  state?: string;
  scope: string;
  resource: string;
  csrf: string;
  person?: { sub: string; email?: string; label: string };
}

const PENDING_TTL_MS = 10 * 60_000;
/**
 * The sign-in cookie's name, specific to this issuer: cookies ignore ports, so two development
 * servers on one machine (localhost:8000 and :8001) would otherwise overwrite each other's cookie
 * and the first sign-in's Continue would fail.
 */
export function csrfCookieName(issuer: string): string {
  // FNV-1a, 32 bits: a short stable tag, not a secret.
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(issuer)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return `kit_signin_csrf_${hash.toString(16).padStart(8, "0")}`;
}
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** The shape of our pending-request ids (`randomSecret(24)`); anything else is never looked up. */
const REQUEST_ID = /^[A-Za-z0-9_-]{32}$/;

/** Mounts `/authorize`, `/authorize/signin` and `/authorize/consent`. */
export function mountAuthorize(app: Hono, ctx: SigninContext): void {
  app.get("/authorize", (c) => startAuthorization(c, ctx));
  app.post("/authorize/signin", (c) => signIn(c, ctx));
  app.post("/authorize/consent", (c) => decide(c, ctx));
}

async function startAuthorization(c: Context, ctx: SigninContext): Promise<Response> {
  // Every start writes a pending request and may fetch a metadata document: bound them per caller.
  const caller = clientAddress(c.env);
  const decision = await ctx.limits.authorize.hit(caller);
  if (!decision.allowed) {
    c.header("retry-after", String(decision.retryAfterSeconds));
    return page(
      c,
      ctx,
      429,
      "Too many sign-in attempts",
      `Too many sign-ins were started from your network just now. Try again in ${decision.retryAfterSeconds} seconds.`,
    );
  }
  const q = c.req.query();
  // Stage 1: until the client and redirect URI are verified, errors stay on our page.
  if (!q.client_id) return page(c, ctx, 400, "Cannot sign in", "The request names no client_id.");
  let client: OAuthClient;
  try {
    client = await findClient(await ctx.kv.get(), q.client_id, {
      privateHostAllowlist: ctx.metadataDocumentHostAllowlist,
      ownHost: new URL(ctx.issuer).host,
      newLookups: { caller, limiter: ctx.limits.metadataLookups },
    });
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    if (error.status === 429 || error.status === 503) {
      if (error.retryAfterSeconds) c.header("retry-after", String(error.retryAfterSeconds));
      return page(
        c,
        ctx,
        error.status,
        "Too many sign-in attempts",
        "Too many new apps were looked up from your network just now. Try again in a minute.",
      );
    }
    // ClientError texts are fixed wording: nothing from the request or a fetched document.
    return page(c, ctx, 400, "Unknown app", `This app is not recognised: ${error.message}.`);
  }
  const redirectUri = q.redirect_uri ??
    (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri) {
    return page(c, ctx, 400, "Cannot sign in", "The request names no redirect_uri.");
  }
  if (!client.redirectUris.includes(redirectUri)) {
    return page(
      c,
      ctx,
      400,
      "Cannot sign in",
      "The redirect URI in this request is not one the app registered, so we will not send you there.",
    );
  }

  // Stage 2: the redirect URI is the client's own, but anyone can register a client, so an
  // automatic redirect here would make us an open redirector (RFC 9700 §4.11.2). The error is shown
  // on our page, with a link that takes the error back to the app when the person chooses to.
  const fail = (error: string, description: string) =>
    respond(
      c,
      400,
      errorPage({
        title: "Cannot sign in",
        message: `The app's request was refused (${error}): ${description}.`,
        frame: frameOf(ctx),
        returnTo: {
          href: redirectWith(
            redirectUri,
            { error, error_description: description, state: q.state },
            ctx,
          ),
          host: new URL(redirectUri).host,
        },
      }),
    );
  if (q.response_type !== "code") {
    return fail("unsupported_response_type", "Only response_type=code is supported");
  }
  if (!q.code_challenge) return fail("invalid_request", "PKCE is required: send code_challenge");
  if (q.code_challenge_method !== "S256") {
    return fail("invalid_request", "code_challenge_method must be S256");
  }
  if (!S256_CHALLENGE.test(q.code_challenge)) {
    return fail("invalid_request", "code_challenge is not a valid S256 challenge");
  }
  if (q.resource !== undefined && q.resource !== ctx.resourceUrl) {
    return fail("invalid_target", `This server only issues tokens for ${ctx.resourceUrl}`);
  }
  // The requested `scope` is not consulted: hosts ask for scopes of their own (claude.ai has sent
  // `claudeai` and `read write`, others `openid` or `offline_access`), and refusing them would end
  // the connection before the sign-in page. RFC 6749 §3.3 lets us grant other than asked; we grant
  // exactly the scopes /mcp requires, no more, and say so on the consent page and in the token
  // response. The request's text is never stored, shown or echoed.
  if (q.state !== undefined && q.state.length > 1024) {
    return fail("invalid_request", "state is too long");
  }

  const requestId = randomSecret(24);
  const csrf = randomSecret();
  const view: ClientView = {
    name: client.clientName === undefined ? undefined : displayText(client.clientName),
    redirectHost: new URL(redirectUri).host,
    verifiedHost: client.kind === "metadata_document" ? new URL(client.clientId).host : undefined,
  };
  const pending: PendingRequest = {
    clientId: client.clientId,
    client: view,
    redirectUri,
    codeChallenge: q.code_challenge,
    state: q.state,
    scope: ctx.scopes.join(" "),
    resource: ctx.resourceUrl,
    csrf,
  };
  await savePending(await ctx.kv.get(), requestId, pending);
  setCookie(c, csrfCookieName(ctx.issuer), csrf, {
    httpOnly: true,
    secure: new URL(ctx.issuer).protocol === "https:",
    sameSite: "Lax",
    path: "/authorize",
    maxAge: PENDING_TTL_MS / 1000,
  });
  return respond(c, 200, signInPage({ client: view, requestId, csrf, frame: frameOf(ctx) }));
}

async function signIn(c: Context, ctx: SigninContext): Promise<Response> {
  const found = await loadPendingFromForm(c, ctx);
  if (found instanceof Response) return found;
  const { requestId, pending, form } = found;
  const identity = String(form.get("identity") ?? "").trim().replace(/\s+/g, " ");
  if (identity === "" || identity.length > 100) {
    return respond(
      c,
      400,
      signInPage({
        client: pending.client,
        requestId,
        csrf: pending.csrf,
        frame: frameOf(ctx),
        error: "Type a name or an email address (up to 100 characters).",
      }),
    );
  }
  const person = await developmentPerson(identity, developmentSubjectLabel(ctx.brand));
  await savePending(await ctx.kv.get(), requestId, { ...pending, person });
  return respond(
    c,
    200,
    consentPage({
      client: pending.client,
      requestId,
      csrf: pending.csrf,
      frame: frameOf(ctx),
      person: person.label,
      scopes: pending.scope.split(" ").map((name) => ({
        name,
        description: name === "mcp"
          ? ctx.brand.scopeDescription
          : `use the ${ctx.brand.productName} on your behalf`,
      })),
      resource: pending.resource,
    }),
    pending.redirectUri,
  );
}

async function decide(c: Context, ctx: SigninContext): Promise<Response> {
  const found = await loadPendingFromForm(c, ctx);
  if (found instanceof Response) return found;
  const { requestId, pending, form } = found;
  if (!pending.person) {
    return page(
      c,
      ctx,
      400,
      "Sign in first",
      `This request has no signed-in ${ctx.brand.userNoun} yet.`,
    );
  }
  // One decision per request: consumed atomically, so a replayed or doubled form finds nothing.
  const kv = await ctx.kv.get();
  const consumed = await kv.atomic().check(found.entry).delete(signinKeys.pendingRequest(requestId))
    .commit();
  if (!consumed.ok) {
    return page(c, ctx, 400, "This page has expired", "Start again from the app you came from.");
  }
  if (form.get("decision") !== "allow") {
    return c.redirect(
      redirectWith(
        pending.redirectUri,
        {
          error: "access_denied",
          error_description: "The person denied access",
          state: pending.state,
        },
        ctx,
      ),
      303,
    );
  }
  // The client is in use now: its registration stops expiring.
  await keepClient(kv, pending.clientId);
  const code = await issueAuthorizationCode(await ctx.kv.get(), {
    clientId: pending.clientId,
    sub: pending.person.sub,
    email: pending.person.email,
    scope: pending.scope,
    resource: pending.resource,
    redirectUri: pending.redirectUri,
    codeChallenge: pending.codeChallenge,
  });
  return c.redirect(redirectWith(pending.redirectUri, { code, state: pending.state }, ctx), 303);
}

/**
 * Finds the pending request a form belongs to and checks its CSRF token: the hidden field, the
 * cookie set when the flow started, and the stored value must all agree, so a form cannot be
 * submitted from another site or another browser.
 */
async function loadPendingFromForm(
  c: Context,
  ctx: SigninContext,
): Promise<
  | Response
  | {
    requestId: string;
    pending: PendingRequest;
    form: FormData;
    entry: Deno.KvEntry<PendingRequest>;
  }
> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    return page(c, ctx, 400, "Cannot continue", "The form could not be read.");
  }
  const requestId = String(form.get("request") ?? "");
  // Only ids of our own shape reach KV: an oversized one would fail the read ("key too large").
  const entry = REQUEST_ID.test(requestId)
    ? await readFresh<PendingRequest>(await ctx.kv.get(), signinKeys.pendingRequest(requestId))
    : null;
  if (!entry) {
    return page(c, ctx, 400, "This page has expired", "Start again from the app you came from.");
  }
  const csrf = String(form.get("csrf") ?? "");
  const cookie = getCookie(c, csrfCookieName(ctx.issuer)) ?? "";
  if (
    !(await sameSecret(csrf, entry.value.csrf)) || !(await sameSecret(cookie, entry.value.csrf))
  ) {
    return page(
      c,
      ctx,
      403,
      "Cannot continue",
      "This form did not come from this browser's sign-in. Start again from the app you came from.",
    );
  }
  return { requestId, pending: entry.value, form, entry };
}

/**
 * The label a pack's development subjects are derived under: its server name. Each pack's people
 * are its own, and the default pack's label is the one first shipped, so nobody who signed in
 * before became a stranger to their saved state.
 */
export function developmentSubjectLabel(brand: { serverName: string }): string {
  return `${brand.serverName}-dev:`;
}

/** The development person for what the person typed: the same text always gives the same `sub`. */
export async function developmentPerson(
  identity: string,
  label: string,
): Promise<{ sub: string; email?: string; label: string }> {
  const normalized = identity.toLowerCase();
  // The person is the text exactly as typed (so a name written with ZWNJ stays the same person);
  // only what is shown and kept as an email is cleaned of format and control characters, so the
  // label cannot reorder the consent line it is shown on.
  const sub = `dev-${(await hashSecret(`${label}${normalized}`)).slice(0, 24)}`;
  const shown = displayText(identity);
  const email = shown === identity && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(identity)
    ? normalized
    : undefined;
  return { sub, email, label: shown };
}

async function savePending(kv: Deno.Kv, id: string, pending: PendingRequest): Promise<void> {
  const expiresAt = Date.now() + PENDING_TTL_MS;
  const key = signinKeys.pendingRequest(id);
  const op = kv.atomic().set(key, { ...pending, expiresAt }, expiry(expiresAt));
  // Once someone has signed in on it, it names them: indexed so forgetting them reaches it.
  if (pending.person) indexForPerson(op, pending.person.sub, key, expiry(expiresAt));
  const result = await op.commit();
  if (!result.ok) throw new Error("the sign-in request could not be stored");
}

/** `uri` with OAuth response parameters added, including `iss` (RFC 9207 mix-up defence). */
function redirectWith(
  uri: string,
  params: Record<string, string | undefined>,
  ctx: SigninContext,
): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  url.searchParams.set("iss", ctx.issuer);
  return url.toString();
}

/** Constant-time comparison through hashing both sides. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  if (!a || !b) return false;
  const [x, y] = await Promise.all([hashSecret(a), hashSecret(b)]);
  return x === y;
}

/** The error page for a sign-in route that failed on our side (KV down or slow). */
export function unavailablePage(c: Context, ctx: SigninContext): Promise<Response> {
  return page(
    c,
    ctx,
    503,
    "Sign-in is unavailable",
    "The sign-in service is unavailable just now. Try again in a moment.",
  );
}

function page(c: Context, ctx: SigninContext, status: number, title: string, message: string) {
  return respond(c, status, errorPage({ title, message, frame: frameOf(ctx) }));
}

/**
 * Sends a page with headers that stop framing (clickjacking), caching and referrer leaks. Forms
 * may post only to us, plus — on the consent page — the redirect target the decision sends to.
 */
async function respond(
  c: Context,
  status: number,
  body: ReturnType<typeof signInPage>,
  redirectUri?: string,
): Promise<Response> {
  const formAction = redirectUri ? `'self' ${new URL(redirectUri).origin}` : "'self'";
  for (const [name, value] of Object.entries(securePageHeaders(formAction))) c.header(name, value);
  return c.html(await body, status as 200);
}

/** The frame of every page: the product's words and the public-deployment warning. */
function frameOf(ctx: SigninContext): PageFrame {
  return { warn: ctx.warnOnPages, brand: ctx.brand };
}
