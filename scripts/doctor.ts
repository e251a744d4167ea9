/**
 * `deno task doctor <URL> [--sign-in]`: before you paste a connector URL into a host, which hosts
 * will fail with it and why. It checks any remote MCP server (this kit's or anyone's) the way
 * claude.ai, ChatGPT, Claude Code, Cursor / VS Code and MCP Inspector connect, and prints a table
 * host · verdict · reason · fix. Exit code 1 when a host would fail. `--sign-in` completes a sign-in
 * where it can (the kit's development sign-in) and then checks the tools and both protocol eras;
 * `--as-public` checks everything but reach, as if the address were public (before a deploy).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  ALL_HOSTS,
  checkCors,
  checkDoor,
  checkMcp,
  checkReach,
  type Finding,
  type Probe,
} from "./doctor/checks.ts";
import { signIn } from "./doctor/signin.ts";

/** Every check, in order; `signIn` completes a sign-in where it can. */
export async function diagnose(
  url: string,
  options: { signIn?: boolean; asPublic?: boolean } = {},
): Promise<Probe> {
  const probe: Probe = { url, findings: [], passed: [] };
  // --as-public: everything else, as if the address were public (checking before a deploy).
  if (!options.asPublic) checkReach(probe);
  await checkDoor(probe);
  if (probe.protectedByOAuth === false) await checkMcp(probe);
  else if (probe.protectedByOAuth && options.signIn) {
    const token = await signIn(probe).catch((error) => {
      probe.findings.push({
        check: "sign-in",
        hosts: [],
        reason: `the sign-in stopped: ${(error as Error).message}`,
        fix: "finish a sign-in by hand in a host (MCP Inspector shows each step)",
        level: "warn",
      });
      return undefined;
    });
    if (token) await checkMcp(probe, token);
  }
  if (probe.protectedByOAuth !== undefined) await checkCors(probe);
  return probe;
}

/** The verdict per host: ok, or the first failing finding (then warnings). */
export function verdicts(probe: Probe): { host: string; verdict: string; finding?: Finding }[] {
  return ALL_HOSTS.map((host) => {
    const mine = probe.findings.filter((f) => f.hosts.includes(host));
    const failing = mine.find((f) => f.level === "fail");
    if (failing) return { host, verdict: "FAIL", finding: failing };
    const warning = mine.find((f) => f.level === "warn");
    return warning ? { host, verdict: "works, but", finding: warning } : { host, verdict: "ok" };
  });
}

/** The report, as printed. */
export function report(probe: Probe, signedIn: boolean): string {
  const rows = verdicts(probe);
  const width = Math.max(...rows.map((r) => r.host.length));
  const lines = [`Doctor: ${probe.url}`, ""];
  for (const { host, verdict, finding } of rows) {
    lines.push(`${host.padEnd(width)}  ${verdict}${finding ? `  — ${finding.reason}` : ""}`);
    if (finding) lines.push(`${"".padEnd(width)}  fix: ${finding.fix}`);
  }
  const general = probe.findings.filter((f) => f.hosts.length === 0);
  if (general.length > 0) {
    lines.push("", "Notes:");
    for (const f of general) lines.push(`  ${f.check}: ${f.reason} (${f.fix})`);
  }
  lines.push("", `Passed: ${probe.passed.join("; ")}.`);
  if (probe.protectedByOAuth && !signedIn) {
    lines.push(
      "Not checked without a sign-in: the tools (names, hints, schemas) and both protocol eras; " +
        "run with --sign-in.",
    );
  }
  return lines.join("\n");
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
  if (!url || !/^https?:\/\//.test(url)) {
    console.error(
      "usage: deno task doctor <connector URL, e.g. https://example.com/mcp> [--sign-in]",
    );
    Deno.exit(2);
  }
  const probe = await diagnose(url, { signIn: values["sign-in"], asPublic: values["as-public"] });
  console.log(report(probe, values["sign-in"]!));
  Deno.exit(verdicts(probe).some((v) => v.verdict === "FAIL") ? 1 : 0);
}
