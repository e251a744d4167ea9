/**
 * Content a pack ships with and never changes while it runs — a catalogue, a list of places or
 * products. The kit loads it once at start-up, freezes it, and hands it to the pack's store, which
 * answers reads of it from memory. A copy goes into the pack's tables so that the database can
 * search it and join against it; that copy is rewritten only when the content's hash differs
 * from the one the database recorded (a new deploy with new content), never on an ordinary start.
 *
 * Only content that is the same for everyone and fixed per deploy belongs here. What a person
 * writes lives in the database alone.
 *
 * @module
 */
import type { SqlTransaction } from "./sql.ts";

/** A pack's fixed content: how to read it, and how to write it into the pack's tables. */
export interface FixedContent<Content> {
  /**
   * Reads and validates the content (typically a file under `seed/<id>/`). Called once at
   * start-up; a problem stops the start with a message naming it. The value must be plain JSON
   * data (its JSON text is what the hash is taken of).
   */
  load(): Promise<Content>;
  /**
   * The file `load` reads, if it reads one (`new URL("../../../seed/<id>/items.json",
   * import.meta.url)`): a failure to load names it.
   */
  file?: URL;
  /**
   * Makes the pack's tables hold exactly this content (insert, update, and remove what is gone
   * where nothing refers to it). Runs inside the kit's preparation transaction, after the
   * migrations, and only when the recorded hash differs.
   */
  seed(tx: SqlTransaction, content: Content): Promise<void>;
}

/** Content as loaded: frozen, with the hash that decides whether the database needs a new copy. */
export interface LoadedContent<Content> {
  value: Content;
  /** Hex SHA-256 of the content's JSON text. */
  hash: string;
}

/**
 * The content could not be loaded: its file is missing or not JSON, or it does not fit the pack's
 * schema. Carries what is wrong in readable lines (`lessons[0].title: expected string, received
 * number`), and the file when the content names it; {@linkcode describeContentFailure} words it.
 */
export class FixedContentError extends Error {
  /** The file, relative to the repository when inside it; `undefined` when not declared. */
  readonly file?: string;
  /** What is wrong, one line each (at most five, then how many more). */
  readonly problems: readonly string[];
  /** Wraps what `load` threw. */
  constructor(cause: unknown, file?: URL) {
    const problems = problemsOf(cause);
    const shown = file && displayPath(file);
    super(`${shown ?? "the content"}: ${problems.join("; ")}`, { cause });
    this.name = "FixedContentError";
    this.file = shown;
    this.problems = problems;
  }
}

/** The start-up lines for a pack whose content could not be loaded. */
export function describeContentFailure(packId: string, error: FixedContentError): string {
  const what = error.file
    ? `content file ${error.file}`
    : "content (read by its content.load; declare content.file to have the file named)";
  const [first, ...more] = error.problems;
  return [`The ${packId} pack's ${what}: ${first}`, ...more.map((line) => `  ${line}`)]
    .concat("Fix the content (or the pack's schema for it), then start again.")
    .join("\n");
}

/** Loads `content`, freezes it deeply (it is shared by every request) and hashes it. */
export async function loadFixedContent<Content>(
  content: FixedContent<Content>,
): Promise<LoadedContent<Content>> {
  let value: Content;
  try {
    value = await content.load();
  } catch (error) {
    throw new FixedContentError(error, content.file);
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(value)),
  );
  const hash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return { value: deepFreeze(value), hash };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** How many of a schema's issues a start-up failure lists. */
const MAX_PROBLEMS = 5;

/** What `error` says is wrong with the content, one readable line each. */
function problemsOf(error: unknown): string[] {
  if (isSchemaError(error)) {
    const lines = error.issues.slice(0, MAX_PROBLEMS).map((issue) =>
      `${issue.path.length === 0 ? "(the whole content)" : pathText(issue.path)}: ${
        issue.message.replace(/^Invalid input: /, "")
      }`
    );
    const rest = error.issues.length - lines.length;
    return rest > 0 ? [...lines, `… and ${rest} more`] : lines;
  }
  if (error instanceof SyntaxError) return [`not valid JSON (${error.message})`];
  if (error instanceof Deno.errors.NotFound) return [`not found (${error.message})`];
  if (error instanceof Error) {
    return [error.name === "Error" ? error.message : `${error.name}: ${error.message}`];
  }
  return [String(error)];
}

/** A zod error (or one shaped like it): a list of issues, each with a path and a message. */
function isSchemaError(
  error: unknown,
): error is { issues: { path: PropertyKey[]; message: string }[] } {
  const issues = (error as { issues?: unknown })?.issues;
  return Array.isArray(issues) && issues.length > 0 &&
    issues.every((i) => Array.isArray(i?.path) && typeof i?.message === "string");
}

/** `["lessons", 0, "title"]` as `lessons[0].title`. */
function pathText(path: PropertyKey[]): string {
  return path.map((key, i) =>
    typeof key === "number"
      ? `[${key}]`
      : typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${i === 0 ? "" : "."}${key}`
      : `[${JSON.stringify(String(key))}]`
  ).join("");
}

/** A file as a builder finds it: relative to the repository when inside it. */
function displayPath(file: URL): string {
  const root = new URL("../../", import.meta.url).href;
  return file.href.startsWith(root)
    ? decodeURIComponent(file.href.slice(root.length))
    : file.protocol === "file:"
    ? decodeURIComponent(file.pathname)
    : file.href;
}
