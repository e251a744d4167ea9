/**
 * The page people see when they open the connector's address in a browser: what it is, the one URL
 * to paste, how to connect each host, the tools (from the real registry), and a live status line.
 * Server-rendered, no scripts, no external assets.
 *
 * @module
 */
import { CHECK_WORDS, ISSUER_WORDS, KV_REPLACED_WORDS } from "../health/readiness.ts";
import { reachOf } from "../reach/hosts.ts";
import { html } from "hono/html";
import { pageShell } from "../http/page_shell.ts";
import type { PackBrand } from "../pack/mod.ts";
import type { Readiness } from "../health/readiness.ts";
import type { RegisteredTool } from "../tools/registry.ts";
import { SERVER_VERSION } from "../version.ts";

/** What the page shows. */
export interface LandingOptions {
  resourceUrl: string;
  brand: PackBrand;
  tools: readonly RegisteredTool[];
  readiness: Readiness;
  checkedAt: Date;
  /** The bundled development sign-in is the issuer. */
  developmentSignin: boolean;
  /** It runs in public: warn that anyone can sign in as anyone. */
  publicDevelopmentSignin: boolean;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f1ea;color:#1f1d1a}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.7rem;margin:.25rem 0 .5rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.brand{font-weight:600;letter-spacing:.02em;color:#6b4f1d}
.card{background:#fff;border:1px solid #ddd6c8;border-radius:12px;padding:1rem 1.25rem;margin:.75rem 0}
.url{display:block;font:600 1.05rem ui-monospace,SFMono-Regular,Menlo,monospace;background:#fff;border:2px solid #6b4f1d;border-radius:10px;padding:.75rem 1rem;word-break:break-all;user-select:all}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em;background:#efe9dc;padding:.05em .3em;border-radius:4px}
ol{padding-left:1.3rem}li{margin:.25rem 0}
.status{display:inline-block;border-radius:999px;padding:.2rem .75rem;font-weight:600;font-size:.9rem}
.ok{background:#dff3e3;color:#1f5c2c}.bad{background:#ffe1e1;color:#7a1b12}
.danger{background:#ffe1e1;border:2px solid #c0392b;color:#7a1b12;border-radius:8px;padding:.75rem;font-weight:600}
.dev{background:#fff4d6;border:1px solid #e3c06a;border-radius:8px;padding:.6rem .8rem;font-size:.95rem}
table{border-collapse:collapse;width:100%}td{padding:.45rem .3rem;border-top:1px solid #eee5d5;vertical-align:top}
td:first-child{white-space:nowrap;font-family:ui-monospace,Menlo,monospace;font-size:.9rem;padding-right:.8rem}
small{color:#6f6a60}
`;

/** Renders the page. */
export function landingPage(o: LandingOptions) {
  const { checks } = o.readiness;
  const { brand } = o;
  const reach = reachOf(o.resourceUrl);
  const unreachable = reach.filter((r) => !r.ok);
  const reachable = reach.filter((r) => r.ok).map((r) => r.host);
  const status = o.readiness.draining
    ? html`<span class="status bad">● Shutting down</span>`
    : o.readiness.ready
    ? html`<span class="status ok">● Ready</span>`
    : html`<span class="status bad">● Not ready</span>`;
  return pageShell(
    `${brand.productName} · MCP connector`,
    STYLE,
    html`
      <h1>${brand.tagline}</h1>
      ${o.publicDevelopmentSignin
        ? html`<p class="danger" role="alert">Warning: this server runs the open development sign-in in
public. Anyone can sign in as anyone here.</p>`
        : ""}
      <p>This is an MCP connector. Add it to Claude (or any MCP host), sign in once, and your assistant can
      ${brand.pitch} — picking up where you left off in any new chat.</p>

      <h2>Paste this URL into your MCP host</h2>
      <code class="url">${o.resourceUrl}</code>
      ${o.developmentSignin
        ? html`<p class="dev">Sign-in here is the <strong>development sign-in</strong>: you type a name,
there is no password, and the same name is always the same ${brand.userNoun}.</p>`
        : ""}

      <h2>Connect</h2>
      ${unreachable.length > 0
        ? html`<div class="card" role="note"><strong>${
          unreachable.map((r) => r.host).join(" and ")
        }</strong>
      <p>${
          unreachable.map((r) => r.host).join(" and ")
        } connect from their own servers, which cannot reach
      <code>${o.resourceUrl}</code>. To use it there, ${unreachable[0].fix}, then paste the new URL.
      ${reachable.join(", ")} on this machine can use the URL above as it is.</p></div>`
        : ""}
      ${unreachable.some((r) => r.host === "claude.ai")
        ? ""
        : html`<div class="card"><strong>claude.ai</strong>
      <ol>
      <li>Open <em>Settings → Connectors</em> and choose <em>Add custom connector</em>.</li>
      <li>Name it "${brand.productName}", paste the URL above, and press <em>Add</em>, then <em>Connect</em>.</li>
      <li>A sign-in page opens: sign in, then press <em>Allow</em> on the consent page.</li>
      <li>Back in claude.ai the connector shows as connected. In a chat, turn it on and ${brand.firstRequest}.</li>
      </ol></div>`}
      <div class="card"><strong>Claude Code</strong>
      <ol>
      <li>Run <code>claude mcp add --transport http ${brand.serverName} ${o.resourceUrl}</code></li>
      <li>In Claude Code type <code>/mcp</code>, pick <code>${brand
        .serverName}</code>, choose <em>Authenticate</em>.</li>
      <li>Sign in and press <em>Allow</em> in the browser window that opens; Claude Code shows it connected.</li>
      </ol></div>
      <div class="card"><strong>MCP Inspector</strong>
      <ol>
      <li>Run <code>npx @modelcontextprotocol/inspector</code> and open the address it prints.</li>
      <li>Choose transport <em>Streamable HTTP</em>, paste the URL above, press <em>Connect</em>.</li>
      <li>Sign in and allow; then <em>Tools → List Tools</em> and run <code>begin_session</code>.</li>
      </ol></div>

      <h2>What your assistant can do here</h2>
      <div class="card">
        <table>
      ${o.tools.map((t) =>
        html`
          <tr>
            <td>${t.name}</td>
            <td><strong>${t.title}</strong><br><small>${firstSentence(t.description)}</small></td>
          </tr>
        `
      )}
        </table>
      </div>

      <h2>Status</h2>
      <p>${status} &nbsp; database ${CHECK_WORDS[checks.database]}, session store ${CHECK_WORDS[
        checks.kv
      ]}${o.readiness.kvReplacedAt ? ` (it ${KV_REPLACED_WORDS})` : ""}${checks.issuer
        ? `, sign-in issuer ${ISSUER_WORDS[checks.issuer]}`
        : ""}.
      <small>Checked ${o.checkedAt.toISOString()} · version ${SERVER_VERSION}</small></p>
    `,
    brand.productName,
  );
}

function firstSentence(text: string): string {
  const end = text.search(/\.\s/);
  return end === -1 ? text : text.slice(0, end + 1);
}
