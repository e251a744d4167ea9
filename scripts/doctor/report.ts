/**
 * The report writer: the one place where what the doctor found becomes characters on the
 * builder's terminal. Everything a server said reaches it as a value apart from the doctor's
 * words (see `probe.ts`) and is shown quoted, cut to a readable length, with every character a
 * terminal would act on escaped: C0 and C1 controls (ESC, CSI, BEL, CR, LF…), DEL, lone
 * surrogates, line separators and bidirectional overrides. The doctor's own words pass through
 * the same escaping, so nothing printed can clear the screen, set the window title, or forge an
 * "ok" line.
 *
 * @module
 */
import { ALL_HOSTS, type Finding, type Level, type Probe, Said, type Text } from "./probe.ts";

/** A server's string is shown up to this many characters. */
const MAX_SHOWN = 200;

/**
 * Characters a terminal acts on or that reorder what is shown: C0 controls, DEL, C1 controls,
 * line and paragraph separators, bidirectional embeddings, overrides and isolates, and a
 * surrogate without its pair.
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNPRINTABLE = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]",
  "gu",
);

/**
 * `words` with every character a terminal would act on written as a visible `\uXXXX` escape.
 *
 * @example
 * ```ts
 * import { printable } from "./report.ts";
 * if (printable("a\u001b[2Jb") !== "a\\u001b[2Jb") throw new Error("not escaped");
 * ```
 */
export function printable(words: string): string {
  return words.replace(
    UNPRINTABLE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * How a value a server gave is shown: a string quoted (JSON-style, so its quotes and backslashes
 * are escaped too), anything else as JSON; cut to {@linkcode MAX_SHOWN} characters; then made
 * {@linkcode printable}.
 *
 * @example
 * ```ts
 * import { shown } from "./report.ts";
 * if (shown("\u009b2J\u0007") !== '"\\u009b2J\\u0007"') throw new Error("not quoted");
 * ```
 */
export function shown(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return printable(JSON.stringify(cut(value)));
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  return printable(cut(json));
}

/** `value` cut to {@linkcode MAX_SHOWN} characters, with an ellipsis where it was cut. */
function cut(value: string): string {
  return value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
}

/** A {@linkcode Text} as characters: the doctor's words as written, a server's {@linkcode shown}. */
export function rendered(words: Text): string {
  return words.parts.map((p) => p instanceof Said ? shown(p.value) : printable(p)).join("");
}

/** One host's verdict, and every finding that concerns it (in the order found). */
export interface Verdict {
  /** The host's name. */
  host: string;
  /** The worst that concerns it: FAIL, then not checked, then works-but; else ok. */
  verdict: "ok" | "works, but" | "not checked" | "FAIL";
  /** Every finding that concerns the host, in the order found. */
  findings: Finding[];
}

const VERDICT_OF: Record<Level, Verdict["verdict"]> = {
  fail: "FAIL",
  unchecked: "not checked",
  warn: "works, but",
};

/**
 * Each host's verdict: FAIL when a finding breaks it, else "not checked" when a check it needs
 * could not be made, else "works, but" with a warning, else ok.
 */
export function verdicts(probe: Probe): Verdict[] {
  return ALL_HOSTS.map((host) => {
    const findings = probe.findings.filter((f) => f.hosts.includes(host));
    const worst = (["fail", "unchecked", "warn"] as const).find((level) =>
      findings.some((f) => f.level === level)
    );
    return { host, verdict: worst ? VERDICT_OF[worst] : "ok", findings };
  });
}

/** The exit code: 1 when a host would fail, 3 when none would but one could not be checked. */
export function exitCode(probe: Probe): number {
  const all = verdicts(probe).map((v) => v.verdict);
  return all.includes("FAIL") ? 1 : all.includes("not checked") ? 3 : 0;
}

const LABEL: Record<Level, string> = { fail: "FAIL", unchecked: "not checked", warn: "warn" };

/**
 * The report, as printed: one line per host naming every finding that concerns it, then every
 * finding once with its fix, what passed, what was not checked, and what the doctor left behind.
 */
export function report(probe: Probe): string {
  const rows = verdicts(probe);
  const width = Math.max(...rows.map((r) => r.host.length));
  const verdictWidth = Math.max(...rows.map((r) => r.verdict.length));
  const number = (f: Finding) => probe.findings.indexOf(f) + 1;
  const lines = [`Doctor: ${printable(probe.url)}`, ""];
  for (const { host, verdict, findings } of rows) {
    // Each check once, with the numbers of its findings: "PKCE [4]; protected-resource metadata [2, 3]".
    const byCheck = new Map<string, number[]>();
    for (const f of findings) byCheck.set(f.check, [...byCheck.get(f.check) ?? [], number(f)]);
    const named = [...byCheck].map(([check, ns]) => `${printable(check)} [${ns.join(", ")}]`)
      .join("; ");
    lines.push(`${host.padEnd(width)}  ${verdict.padEnd(verdictWidth)}  ${named}`.trimEnd());
  }
  if (probe.findings.length > 0) {
    lines.push("", "Found, each with its fix:");
    for (const f of probe.findings) {
      const label = f.hosts.length === 0 && f.level === "warn" ? "note" : LABEL[f.level];
      lines.push(`[${number(f)}] ${label} · ${printable(f.check)}: ${rendered(f.reason)}`);
      lines.push(`    fix: ${rendered(f.fix)}`);
    }
  }
  // A check with a finding did not pass, whatever an earlier step of it saw.
  const flagged = new Set(probe.findings.map((f) => f.check));
  const passes = probe.passed.filter((p) => !flagged.has(p.check)).map((p) => rendered(p.what));
  lines.push("", passes.length ? `Passed: ${passes.join("; ")}.` : "Passed: nothing.");
  if (probe.protectedByOAuth && probe.signedIn === undefined) {
    lines.push(
      "Not checked without a sign-in: the tools (names, hints, schemas) and both protocol eras; " +
        "run with --sign-in.",
    );
  }
  for (const line of probe.cleanup) lines.push(`Cleanup: ${rendered(line)}`);
  return lines.join("\n");
}
