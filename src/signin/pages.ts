/**
 * The development sign-in's pages: server-rendered HTML with no scripts and no external assets,
 * readable on a phone. Every interpolated value is escaped by Hono's `html` template.
 *
 * @module
 */
import { html } from "hono/html";
import { type Html, pageShell } from "../http/page_shell.ts";
import { displayText } from "./display_text.ts";

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f1ea;color:#1f1d1a}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
.card{background:#fff;border:1px solid #ddd6c8;border-radius:12px;padding:1.25rem}
.brand{font-weight:600;letter-spacing:.02em;color:#6b4f1d}
.dev{background:#fff4d6;border:1px solid #e3c06a;border-radius:8px;padding:.6rem .8rem;font-size:.9rem;margin-bottom:1rem}
.danger{background:#ffe1e1;border:2px solid #c0392b;color:#7a1b12;border-radius:8px;padding:.75rem;font-weight:600;margin-bottom:1rem}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input[type=text]{width:100%;font:inherit;padding:.65rem .75rem;border:1px solid #b9b09c;border-radius:8px}
button{font:inherit;font-weight:600;padding:.7rem 1.2rem;border-radius:8px;border:1px solid #6b4f1d;cursor:pointer;width:100%;margin-top:.75rem}
.primary{background:#6b4f1d;color:#fff}
.secondary{background:#fff;color:#6b4f1d}
.row{display:flex;gap:.75rem}.row form{flex:1}
dl{margin:.5rem 0}dt{font-size:.85rem;color:#6f6a60}dd{margin:0 0 .6rem;word-break:break-word}
ul{padding-left:1.2rem}
.error{color:#a12b1d;font-weight:600}
small{color:#6f6a60}
`;

/** What every sign-in page is framed with: the product's words, and whether to warn. */
export interface PageFrame {
  /** Add the public-deployment warning. */
  warn: boolean;
  /** The product's name and what a signed-in person is called, from the pack's brand. */
  brand: { productName: string; userNoun: string };
}

/** Page frame shared by the sign-in pages. */
function layout(title: string, frame: PageFrame, body: Html): Html {
  return pageShell(
    `${title} · ${frame.brand.productName}`,
    STYLE,
    html`${
      frame.warn
        ? html`<div class="danger" role="alert">Warning: this is the open development sign-in running on a
public server. Anyone can sign in as anyone here. Do not keep anything private in it.</div>`
        : ""
    }
${body}`,
    frame.brand.productName,
  );
}

/** What the sign-in and consent pages show about the asking client. */
export interface ClientView {
  /** The client's self-declared name, if any. */
  name?: string;
  /** Where it will send the person back: the redirect URI's host, which the name cannot fake. */
  redirectHost: string;
  /** How the client is known: its metadata URL's host for a metadata document. */
  verifiedHost?: string;
}

/**
 * The client's name, cleaned of format characters and isolated in `<bdi>`: whatever direction its
 * text runs, it cannot reorder the host shown after it.
 */
function clientLabel(client: ClientView): Html {
  const name = client.name === undefined ? "" : displayText(client.name).trim();
  return html`<strong><bdi>${name || "An unnamed app"}</bdi></strong>${
    client.verifiedHost
      ? html`
        <small>(${client.verifiedHost})</small>
      `
      : ""
  }`;
}

/** Step 1: who are you? (development: a name or email, no password). */
export function signInPage(options: {
  client: ClientView;
  requestId: string;
  csrf: string;
  frame: PageFrame;
  error?: string;
}): Html {
  return layout(
    "Sign in",
    options.frame,
    html`
      <h1>Sign in to the ${options.frame.brand.productName}</h1>
      <div class="dev"><strong>Development sign-in.</strong> There is no password: whoever types a name
      here becomes that ${options.frame.brand
        .userNoun}. The same name always gives the same ${options.frame.brand.userNoun}.</div>
      <div class="card">
        <p>${clientLabel(options.client)} wants to use your ${options.frame.brand.productName}.</p>
        <form method="post" action="/authorize/signin">
      <input type="hidden" name="request" value="${options.requestId}">
      <input type="hidden" name="csrf" value="${options.csrf}">
      <label for="identity">Your name or email</label>
      <input type="text" id="identity" name="identity" autocomplete="username" required maxlength="100" autofocus>
      ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
      <button class="primary" type="submit">Continue</button>
        </form>
      </div>
    `,
  );
}

/** Step 2: allow this client to act for you? */
export function consentPage(options: {
  client: ClientView;
  requestId: string;
  csrf: string;
  frame: PageFrame;
  person: string;
  scopes: { name: string; description: string }[];
  resource: string;
}): Html {
  const hidden = html`<input type="hidden" name="request" value="${options.requestId}">
<input type="hidden" name="csrf" value="${options.csrf}">`;
  return layout(
    "Allow access",
    options.frame,
    html`
      <h1>Allow access?</h1>
      <div class="card">
        <p>${clientLabel(options.client)} asks to use the ${options.frame.brand.productName} as
      <strong><bdi>${displayText(options.person)}</bdi></strong>.</p>
        <dl>
          <dt>It will be able to</dt>
          <dd>
            <ul>${options.scopes.map((s) =>
              html`<li><strong>${s.name}</strong>: ${s.description}</li>`
            )}</ul>
          </dd>
          <dt>On</dt>
          <dd>${options.resource}</dd>
          <dt>You will be sent back to</dt>
          <dd>${options.client.redirectHost}</dd>
        </dl>
        <div class="row">
          <form method="post" action="/authorize/consent">${hidden}
      <input type="hidden" name="decision" value="deny">
      <button class="secondary" type="submit">Deny</button>
          </form>
          <form method="post" action="/authorize/consent">${hidden}
      <input type="hidden" name="decision" value="allow">
      <button class="primary" type="submit">Allow</button>
          </form>
        </div>
      </div>
    `,
  );
}

/** A problem that must not be sent to an untrusted redirect URI. */
export function errorPage(options: {
  title: string;
  message: string;
  frame: PageFrame;
  /** When the app's redirect URI is known: a link (never an automatic redirect) back to it. */
  returnTo?: { href: string; host: string };
}): Html {
  return layout(
    options.title,
    options.frame,
    html`
      <h1>${options.title}</h1>
      <div class="card">
        <p>${options.message}</p>
        ${options.returnTo
          ? html`<p><a href="${options.returnTo.href}">Return to ${options.returnTo.host}</a></p>`
          : html`<p><small>Go back to the app you came from and connect again.</small></p>`}
      </div>
    `,
  );
}
