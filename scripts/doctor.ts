/**
 * `deno task doctor <URL> [--sign-in]`: before you paste a connector URL into a host, which hosts
 * will fail with it and why. It checks any remote MCP server (this kit's or anyone's) the way
 * claude.ai, ChatGPT, Claude Code, Cursor / VS Code and MCP Inspector connect, and prints one line
 * per host naming every defect that concerns it, then each defect once with its fix. Exit code 1
 * when a host would fail, 3 when none would but one could not be checked. `--sign-in` completes a
 * sign-in where it can (the kit's development sign-in) and then checks the tools and both protocol
 * eras; `--as-public` checks everything but reach, as if the address were public (before a
 * deploy). The doctor deletes the clients it registered where the issuer offers RFC 7592.
 *
 * The server is not trusted: every request is bounded in time and size and follows no redirect
 * by itself (`doctor/http.ts`), no shape of answer stops a check, and what the server said is
 * shown only through the report writer (`doctor/report.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkCors, checkDoor, checkMcp, checkReach } from "./doctor/checks.ts";
import { ALL_HOSTS, found, newProbe, type Probe, text } from "./doctor/probe.ts";
import { forgetRegistrations } from "./doctor/registration.ts";
import { exitCode, report } from "./doctor/report.ts";
import { signIn } from "./doctor/signin.ts";

export { exitCode, report, verdicts } from "./doctor/report.ts";

/** Every check, in order; `signIn` completes a sign-in where it can. */
export async function diagnose(
  url: string,
  options: { signIn?: boolean; asPublic?: boolean } = {},
): Promise<Probe> {
  const probe = newProbe(url);
  // A check that throws all the same (a bug, or an answer nobody foresaw) is a line in the
  // report, and the checks after it still run.
  const step = async (check: string, run: () => unknown) => {
    try {
      await run();
    } catch (error) {
      found(
        probe,
        "unchecked",
        check,
        ALL_HOSTS,
        text`the doctor could not finish this check (${(error as Error)?.message ?? error})`,
        "run it again; if it stops here again, the server gives answers the doctor cannot read",
      );
    }
  };
  // --as-public: everything else, as if the address were public (checking before a deploy).
  if (!options.asPublic) await step("reach", () => checkReach(probe));
  await step("the door", () => checkDoor(probe));
  if (probe.protectedByOAuth === false) await step("tools", () => checkMcp(probe));
  else if (probe.protectedByOAuth && options.signIn) {
    let token: string | undefined;
    await step("sign-in", async () => token = await signIn(probe));
    probe.signedIn = token !== undefined;
    if (token) await step("tools", () => checkMcp(probe, token));
  }
  // Listing the grant is not issuing the token: many issuers give one only for offline_access.
  const grants = probe.authServer?.grant_types_supported;
  if (probe.protectedByOAuth && !probe.signedIn && Array.isArray(grants)) {
    if (grants.includes("refresh_token")) {
      found(
        probe,
        "warn",
        "refresh tokens",
        [],
        text`refresh_token is listed, but whether one is issued for the scopes hosts request is not verified without --sign-in`,
        "run the doctor with --sign-in where it can sign in, or sign in once from a host and wait for the token to expire",
      );
    }
  }
  if (probe.protectedByOAuth !== undefined) await step("CORS", () => checkCors(probe));
  // Last: deleting a client may revoke the tokens the checks above use.
  await forgetRegistrations(probe).catch((error) => {
    probe.cleanup.push(
      text`the doctor could not delete its clients (${(error as Error)?.message})`,
    );
  });
  return probe;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      "sign-in": { type: "boolean", default: false },
      "as-public": { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  const url = positionals[0];
  if (!url || !/^https?:\/\//.test(url) || !URL.canParse(url)) {
    console.error(
      "usage: deno task doctor <connector URL, e.g. https://example.com/mcp> [--sign-in] [--as-public]",
    );
    Deno.exit(2);
  }
  const probe = await diagnose(url, { signIn: values["sign-in"], asPublic: values["as-public"] });
  console.log(report(probe));
  Deno.exit(exitCode(probe));
}
