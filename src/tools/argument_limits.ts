/**
 * What a tool argument may be before any tool sees it: the shape checks JSON Schema cannot express.
 *
 * The arguments arrive as parsed JSON, and some JSON cannot be kept faithfully: a NUL character or
 * an unpaired surrogate is not storable text in PostgreSQL; a number like `1e400` parses to
 * `Infinity`, which serialises back as `null` (and `null` in a merge patch deletes); a `__proto__`
 * key is dropped or turned into a prototype by JavaScript object handling, so the caller's data
 * would silently change. Deep or huge values cost the database time in proportion to their size (a
 * deep enough one wedges the embedded store). Each is refused here, with the place and the fix, so
 * the model hears "fix this" rather than "the service is down", and nothing is written.
 *
 * @module
 */

/** Bounds on tool arguments. */
export interface ArgumentLimits {
  /** Deepest nesting of any one argument's value (an object or array inside it is one level). */
  maxDepth: number;
  /** Most values (object members and array items, at every level) in one call's arguments. */
  maxValues: number;
}

/** The bounds every tool call is held to. */
export const ARGUMENT_LIMITS: ArgumentLimits = { maxDepth: 32, maxValues: 10_000 };

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `args` (a tool call's raw, parsed `arguments`) cannot be accepted, or `null` when it can.
 * Iterative, and stops at the first problem: its cost is bounded by the limits, not the input.
 */
export function argumentProblem(
  args: unknown,
  limits: ArgumentLimits = ARGUMENT_LIMITS,
): string | null {
  if (args === undefined || args === null || typeof args !== "object" || Array.isArray(args)) {
    return null; // Not an arguments object: the schema check answers that.
  }
  // Each entry: the value, where it is, and how deep inside its top-level argument.
  const stack: { value: unknown; path: string; depth: number }[] = [];
  for (const key of Object.keys(args)) {
    const problem = keyProblem(key, "arguments");
    if (problem) return problem;
    stack.push({ value: (args as Record<string, unknown>)[key], path: key, depth: 0 });
  }
  let values = stack.length;
  if (values > limits.maxValues) return tooMany(limits);
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === "string") {
      const problem = textProblem(value, `the value at ${path}`);
      if (problem) return problem;
      continue;
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        return `the number at ${path} is too large for JSON to hold (it would be stored as null); send a finite number or a string.`;
      }
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        return `the whole number at ${path} is beyond ±2^53 and would not be kept exactly; send it as a string.`;
      }
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth >= limits.maxDepth) {
      return `the argument ${
        topLevel(path)
      } is nested more than ${limits.maxDepth} levels deep (at ${shorten(path)}); flatten it.`;
    }
    const keys = Array.isArray(value) ? undefined : Object.keys(value);
    values += keys ? keys.length : (value as unknown[]).length;
    if (values > limits.maxValues) return tooMany(limits);
    const entries: [string, unknown][] = keys
      ? keys.map((key) => [key, (value as Record<string, unknown>)[key]])
      : (value as unknown[]).map((item, i) => [`[${i}]`, item]);
    for (const [key, item] of entries) {
      if (!Array.isArray(value)) {
        const problem = keyProblem(key, shorten(path));
        if (problem) return problem;
      }
      const itemPath = Array.isArray(value) ? `${path}${key}` : `${path}.${key}`;
      stack.push({ value: item, path: itemPath, depth: depth + 1 });
    }
  }
  return null;
}

function tooMany(limits: ArgumentLimits): string {
  return `the arguments hold more than ${limits.maxValues} values in all; send less at once.`;
}

function keyProblem(key: string, where: string): string | null {
  if (key === "__proto__") {
    return `the key "__proto__" (in ${where}) is not allowed; rename it.`;
  }
  return textProblem(key, `a key in ${where}`);
}

function textProblem(text: string, what: string): string | null {
  if (text.includes("\u0000")) {
    return `${shorten(what)} contains a NUL character (U+0000), which cannot be stored; remove it.`;
  }
  if (UNPAIRED_SURROGATE.test(text)) {
    return `${
      shorten(what)
    } contains an unpaired UTF-16 surrogate, which is not valid Unicode; send well-formed text.`;
  }
  return null;
}

/** The argument name a path starts with. */
function topLevel(path: string): string {
  return shorten(path.split(/[.[]/, 1)[0]);
}

/** Paths and keys come from the caller: keep what is echoed short. */
function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
