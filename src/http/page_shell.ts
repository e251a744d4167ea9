/**
 * The HTML frame every server-rendered page shares: doctype, viewport, inline style, brand line.
 * No scripts and no external assets, so the pages work without JavaScript and under a strict CSP.
 *
 * @module
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** Rendered HTML, as Hono's `html` template produces it. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Wraps `body` in a complete page titled `title`, styled by `style` (trusted, inline), under the
 * product's name `brandLine`.
 */
export function pageShell(title: string, style: string, body: Html, brandLine = ""): Html {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>${title}</title>
        <style>${style}</style>
      </head>
      <body>
        <main>
    <div class="brand">${brandLine}</div>
    ${body}
        </main>
      </body>
    </html>
  `;
}

/**
 * The headers every server-rendered page is sent with: no scripts, no framing (clickjacking), no
 * referrer, no caching, no type sniffing. `formAction` lists where the page's forms may post
 * (`'none'` for a page without forms).
 */
export function securePageHeaders(formAction = "'none'"): Record<string, string> {
  return {
    "content-security-policy":
      `default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action ${formAction}; ` +
      "frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
}
