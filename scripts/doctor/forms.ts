/**
 * The forms of a sign-in page, for `--sign-in`. The page is the server's to write, so it is read
 * by a forward scanner that looks at each character a bounded number of times: a page built to
 * make a backtracking regular expression run for minutes (`<form ` thirty thousand times) costs no
 * more than reading it. Only what the doctor needs is read — each form's action and the values of
 * its named `<input>` elements — the way a browser's tokenizer would split tags and attributes.
 *
 * @module
 */

/** One form of a page: where it posts, and the values of its named inputs. */
export interface Form {
  /** The `action` attribute as written (relative or absolute; `""` when missing). */
  action: string;
  /** Each named input's value, entities decoded; the first input of a name wins. */
  fields: Record<string, string>;
}

/** No page the doctor fills in has more forms than this. */
const MAX_FORMS = 64;

/**
 * The forms of `html`, in order, in time linear in its length.
 *
 * @example
 * ```ts
 * import { formsOf } from "./forms.ts";
 * const [form] = formsOf('<form action="/go"><input name="a" value="1&amp;2"></form>');
 * if (form.action !== "/go" || form.fields.a !== "1&2") throw new Error("misread");
 * ```
 */
export function formsOf(html: string): Form[] {
  // ASCII letters only, so every index in `lower` is the same index in `html`.
  const lower = html.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  const forms: Form[] = [];
  let cursor = 0;
  // Where the last search found an `<input` (-1: none left): a search that ran past one form's
  // end is kept for the next form rather than run again.
  let nextInput = 0;
  while (forms.length < MAX_FORMS) {
    const start = tagAt(lower, "form", cursor);
    if (start < 0) break;
    const tag = readTag(html, lower, start + "<form".length);
    // An unclosed tag (or quote) runs to the end of the page: nothing after it is a tag.
    if (!tag) break;
    let end = closingAt(lower, tag.end);
    const fields = new Map<string, string>();
    let at = tag.end;
    let complete = true;
    for (;;) {
      if (nextInput >= 0 && nextInput < at) nextInput = tagAt(lower, "input", at);
      const input = nextInput;
      if (input < 0 || input >= end) break;
      const read = readTag(html, lower, input + "<input".length);
      if (!read) {
        complete = false;
        break;
      }
      const name = read.attributes.get("name");
      if (name && !fields.has(name)) fields.set(name, read.attributes.get("value") ?? "");
      at = read.end;
      // A quoted value may hold "</form": the form ends at the first one after the tag.
      if (at > end) end = closingAt(lower, at);
    }
    forms.push({ action: tag.attributes.get("action") ?? "", fields: Object.fromEntries(fields) });
    if (!complete || end >= html.length) break;
    cursor = end + "</form".length;
  }
  return forms;
}

/** Where the next `<name` tag starts at or after `from` (a tag name, not a prefix of one), or -1. */
function tagAt(lower: string, name: string, from: number): number {
  const open = `<${name}`;
  for (let at = lower.indexOf(open, from); at >= 0; at = lower.indexOf(open, at + open.length)) {
    const next = lower.charCodeAt(at + open.length);
    if (Number.isNaN(next) || isSpace(next) || next === SLASH || next === GT) return at;
  }
  return -1;
}

/** Where the form opened before `from` closes: its `</form`, or the end of the page. */
function closingAt(lower: string, from: number): number {
  const at = lower.indexOf("</form", from);
  return at < 0 ? lower.length : at;
}

const SLASH = 0x2f;
const GT = 0x3e;
const EQUALS = 0x3d;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

/**
 * The attributes of the tag whose name ends before `from`, and the index just after its `>`;
 * `undefined` when the tag (or a quoted value in it) never closes.
 */
function readTag(
  html: string,
  lower: string,
  from: number,
): { attributes: Map<string, string>; end: number } | undefined {
  const attributes = new Map<string, string>();
  const length = html.length;
  let i = from;
  for (;;) {
    while (i < length && (isSpace(html.charCodeAt(i)) || html.charCodeAt(i) === SLASH)) i++;
    if (i >= length) return undefined;
    if (html.charCodeAt(i) === GT) return { attributes, end: i + 1 };
    // A name: at least one character (so the scan always moves on), up to a space, / > or =.
    const nameStart = i;
    do i++; while (i < length && !endsName(html.charCodeAt(i)));
    const name = lower.slice(nameStart, i);
    while (i < length && isSpace(html.charCodeAt(i))) i++;
    let value = "";
    if (html.charCodeAt(i) === EQUALS) {
      i++;
      while (i < length && isSpace(html.charCodeAt(i))) i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        if (close < 0) return undefined;
        value = html.slice(i + 1, close);
        i = close + 1;
      } else {
        const valueStart = i;
        while (i < length && !isSpace(html.charCodeAt(i)) && html.charCodeAt(i) !== GT) i++;
        value = html.slice(valueStart, i);
      }
    }
    if (!attributes.has(name)) attributes.set(name, decoded(value));
  }
}

function endsName(code: number): boolean {
  return isSpace(code) || code === SLASH || code === GT || code === EQUALS;
}

const NAMED: Record<string, string> = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">" };

/** `value` with its character references decoded (the named ones a server escapes with). */
function decoded(value: string): string {
  if (!value.includes("&")) return value;
  return value.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,4});/g, (whole, ref) => {
    if (ref[0] !== "#") {
      const name = ref.toLowerCase();
      return Object.hasOwn(NAMED, name) ? NAMED[name] : whole;
    }
    const code = ref[1] === "x" || ref[1] === "X"
      ? parseInt(ref.slice(2), 16)
      : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
  });
}
