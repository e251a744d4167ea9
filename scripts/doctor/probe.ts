/**
 * What the doctor learns on its way: findings (the hosts each breaks, why, the fix), the checks
 * that passed, the clients it registered, and what later checks need.
 *
 * A server's words never become part of the doctor's own: a finding is a {@linkcode Text}, whose
 * template strings are the doctor's and whose interpolated values are kept apart as what a server
 * said. Only the report writer (`report.ts`) turns a Text into characters, and it shows every such
 * value quoted with its control characters escaped — a tool name or an `expires_in` holding
 * `ESC [2J` cannot clear the builder's screen or forge an "ok" line.
 *
 * @module
 */
import { HOSTS } from "../../src/reach/hosts.ts";

/** Every host the doctor speaks for. */
export const ALL_HOSTS: readonly string[] = HOSTS.map((h) => h.name);

/** A value a server gave (or that was derived from one), as it was given. */
export class Said {
  /** Keeps `value` apart from the doctor's words. */
  constructor(readonly value: unknown) {}
}

/** The doctor's words, with the values a server gave kept apart (see {@linkcode text}). */
export class Text {
  /** Parts in order: the doctor's words as strings, a server's as {@linkcode Said}. */
  constructor(readonly parts: readonly (string | Said)[]) {}
}

/**
 * A {@linkcode Text} from a template: its strings are the doctor's words; each interpolated value
 * is what a server said — shown quoted by the report writer — except a number (shown as itself)
 * and a Text (spliced in as written). Interpolating the doctor's own string? Wrap it in
 * {@linkcode ours}: forgetting to only ever quotes too much, never too little.
 *
 * @example
 * ```ts
 * import { Said, text } from "./probe.ts";
 * const t = text`named ${"\u001b[2J"}, ${3} times`;
 * if (!(t.parts[1] instanceof Said) || t.parts[3] !== "3") throw new Error("mixed up");
 * ```
 */
export function text(strings: TemplateStringsArray, ...values: unknown[]): Text {
  const parts: (string | Said)[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i >= values.length) return;
    const value = values[i];
    if (value instanceof Text) parts.push(...value.parts);
    else if (typeof value === "number") parts.push(String(value));
    else parts.push(new Said(value));
  });
  return new Text(parts);
}

/** The doctor's own words as a {@linkcode Text}. */
export function ours(words: string): Text {
  return new Text([words]);
}

/** `texts` joined by `separator` (the doctor's). */
export function joined(texts: readonly Text[], separator: string): Text {
  return new Text(texts.flatMap((t, i) => i === 0 ? t.parts : [separator, ...t.parts]));
}

/**
 * How bad a finding is. `fail`: those hosts will not work; `unchecked`: the doctor could not
 * find out (its registration was refused, the sign-in stopped), so those hosts are not "ok";
 * `warn`: they will work, worse (hourly sign-ins, say).
 */
export type Level = "fail" | "unchecked" | "warn";

/** One finding: the hosts it concerns (none: a note), why, and the fix. */
export interface Finding {
  /** Which check found it, in the doctor's words (`PKCE`, `client registration`). */
  check: string;
  /** The hosts it breaks or leaves unchecked; none: a note. */
  hosts: string[];
  /** Why, with the server's words kept apart. */
  reason: Text;
  /** What to do about it. */
  fix: Text;
  /** How bad it is. */
  level: Level;
}

/** A check that passed: its name (as in {@linkcode Finding.check}) and what was seen. */
export interface Pass {
  /** The check's name, as findings name it. */
  check: string;
  /** What was seen. */
  what: Text;
}

/** A client the doctor registered, and how to delete it again where the issuer says (RFC 7592). */
export interface Registration {
  /** The `client_id` the issuer gave. */
  clientId: string;
  /** The `client_name` the doctor gave it. */
  name: string;
  /** RFC 7592: `registration_client_uri` and `registration_access_token`, when both came. */
  management?: { uri: string; token: string };
}

/** What the doctor learnt on its way, for later checks (and the report). */
export interface Probe {
  /** The connector URL under examination. */
  url: string;
  /** Every finding, in the order found. */
  findings: Finding[];
  /** The checks that passed, in order. */
  passed: Pass[];
  /** The authorization server's metadata, when found. */
  authServer?: Record<string, unknown>;
  /** Whether `/mcp` asked for a token (undefined: the doctor could not tell). */
  protectedByOAuth?: boolean;
  /** Whether `--sign-in` got an access token (undefined: not tried). */
  signedIn?: boolean;
  /** The clients the doctor registered, to delete when it is done. */
  registered: Registration[];
  /** What became of them, for the report. */
  cleanup: Text[];
}

/** A fresh probe of `url`. */
export function newProbe(url: string): Probe {
  return { url, findings: [], passed: [], registered: [], cleanup: [] };
}

/** Records a finding; `reason` and `fix` given as plain strings are the doctor's own words. */
export function found(
  probe: Probe,
  level: Level,
  check: string,
  hosts: readonly string[],
  reason: Text | string,
  fix: Text | string,
): void {
  const asText = (t: Text | string) => typeof t === "string" ? ours(t) : t;
  probe.findings.push({
    check,
    hosts: [...hosts],
    reason: asText(reason),
    fix: asText(fix),
    level,
  });
}

/** Records a check that passed. */
export function passed(probe: Probe, check: string, what: Text | string): void {
  probe.passed.push({ check, what: typeof what === "string" ? ours(what) : what });
}
