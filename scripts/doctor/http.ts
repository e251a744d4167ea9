/**
 * Every request the doctor makes goes through {@linkcode send}: one deadline, one cap on what it
 * reads, the body read exactly once, and no redirect followed by `fetch` on its own. A `Location`
 * is a finding, not a place the doctor goes: a `307` to another address would otherwise make it
 * re-send its POST (body and token) or its preflight wherever the server points — the builder's
 * own network included. Only metadata GETs follow a redirect, and only where the doctor would
 * follow a metadata link ({@linkcode followable}).
 *
 * The helpers below read an answer's shape (JSON, an event stream, a JSON-RPC result or error,
 * nothing at all) into words for a finding, so no shape of answer can stop the doctor.
 *
 * @module
 */
import { isPrivateHost } from "../../src/reach/hosts.ts";
import { found, ours, type Probe, type Text, text } from "./probe.ts";

/** Every request's deadline (connecting, and reading the whole answer). */
export const TIMEOUT_MS = 10_000;

/** The most of any answer the doctor reads: a server cannot make it hold more. */
const MAX_BODY_BYTES = 1024 * 1024;

/** A redirect followed for a metadata document, at most this many times in a row. */
const MAX_HOPS = 3;

/** An answer, read: never a stream left to read (or to read twice). */
export interface Answer {
  /** Where the request went. */
  url: string;
  /** The HTTP status; 0 when nothing answered (see `error`). */
  status: number;
  /** The answer's headers (`Location`, `WWW-Authenticate`, cookies). */
  headers: Headers;
  /** The body as text, at most 1 MiB of it. */
  body: string;
  /** Why nothing, or not all of it, was read: a refused connection, the deadline, the cap. */
  error?: string;
}

/**
 * Makes one request, never following a redirect, and reads its answer under the deadline and
 * the cap. It does not throw: a failure is an answer with status 0 and an `error`.
 */
export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return { url, status: 0, headers: new Headers(), body: "", error: messageOf(error) };
  }
  const { status, headers } = response;
  try {
    return { url, status, headers, body: await cappedText(response) };
  } catch (error) {
    return { url, status, headers, body: "", error: messageOf(error) };
  }
}

/** Reads at most {@linkcode MAX_BODY_BYTES} of `response`'s body as text (linear in its size). */
async function cappedText(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new Error(`an answer over ${MAX_BODY_BYTES} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether `answer` is a redirect (it carries a `Location` to go to instead). */
export function isRedirect(answer: Answer): boolean {
  return [301, 302, 303, 307, 308].includes(answer.status);
}

/** A redirect's target, resolved against where the request went; `undefined` when it has none. */
export function locationOf(answer: Answer): string | undefined {
  const location = answer.headers.get("location");
  if (location === null) return undefined;
  try {
    return new URL(location, answer.url).href;
  } catch {
    return location;
  }
}

/**
 * Whether the doctor follows a link the server gave it (in metadata, or a metadata redirect):
 * only to http(s), and not from a public server to a private address — a server must not steer
 * the doctor at the machine's own network.
 */
export function followable(probe: Probe, target: string): boolean {
  try {
    const to = new URL(target);
    if (!/^https?:$/.test(to.protocol)) return false;
    return isPrivateHost(new URL(probe.url).hostname) || !isPrivateHost(to.hostname);
  } catch {
    return false;
  }
}

/** Why the doctor would not follow `target`, in a few words (`""` when it would). */
function unfollowable(probe: Probe, target: string): string {
  if (followable(probe, target)) return "";
  return /^https?:\/\//i.test(target)
    ? "a private address, from a public server"
    : "not an http(s) URL";
}

/**
 * What an answer was, in a few words: `404`, `nothing (…)`, or `307, a redirect to "…"` (with
 * why the doctor would not follow it there, when it would not).
 */
export function answered(probe: Probe, answer: Answer): Text {
  if (answer.status === 0) return text`nothing (${answer.error ?? "no answer"})`;
  if (!isRedirect(answer)) {
    return answer.error
      ? text`${answer.status}, but its body could not be read (${answer.error})`
      : text`${answer.status}`;
  }
  const target = locationOf(answer);
  if (target === undefined) return text`${answer.status}, a redirect with no Location`;
  const why = unfollowable(probe, target);
  return text`${answer.status}, a redirect to ${target}${ours(why ? ` (${why})` : "")}`;
}

/** Gets a JSON document, following a redirect only where {@linkcode followable} allows. */
export async function getDocument(probe: Probe, url: string, check: string): Promise<Answer> {
  const get = (to: string) => send(to, { headers: { accept: "application/json" } });
  let answer = await get(url);
  for (let hops = 0; hops < MAX_HOPS && isRedirect(answer); hops++) {
    const target = locationOf(answer);
    if (target === undefined || !followable(probe, target)) break;
    found(
      probe,
      "warn",
      check,
      [],
      text`${answer.url} answers ${answer.status}, a redirect to ${target}; the doctor followed it`,
      "serve the document at this address itself: hosts differ in whether they follow a redirect here",
    );
    answer = await get(target);
  }
  return answer;
}

/** `answer`'s body as a JSON object, or `undefined`. */
export function jsonOf(answer: Answer): Record<string, unknown> | undefined {
  return objectOf(parseJson(answer.body));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** The server's own words in an error answer (OAuth's `error` and `error_description`, or its text). */
export function wordsOf(answer: Answer): Text {
  const json = jsonOf(answer);
  const retry = answer.headers.get("retry-after");
  const after = retry === null ? ours("") : text`; Retry-After ${retry}`;
  if (json && ("error" in json || "error_description" in json)) {
    return "error_description" in json
      ? text` (${json.error}: ${json.error_description}${after})`
      : text` (${json.error}${after})`;
  }
  const body = answer.body.trim();
  return body
    ? text` (${body}${after})`
    : retry === null
    ? ours("")
    : text` (Retry-After ${retry})`;
}

/** A JSON-RPC answer read: its result, or what came instead, in words for a finding. */
export type RpcOutcome = { result: Record<string, unknown> } | { problem: Text };

/**
 * Reads a JSON-RPC answer, as JSON or as an event stream (the 2025 era's SSE), whatever its
 * shape: the result when there is one, or what came instead (`answered 200 with a JSON-RPC
 * error -32601 "Method not found"`).
 */
export function rpcOutcome(probe: Probe, answer: Answer): RpcOutcome {
  if (answer.status === 0 || isRedirect(answer)) {
    return { problem: text`answered ${answered(probe, answer)}` };
  }
  const shape = rpcShape(answer);
  if (answer.status === 200 && "result" in shape) return shape;
  const what = "result" in shape ? ours("a result") : shape.problem;
  return { problem: text`answered ${answer.status} with ${what}` };
}

function rpcShape(answer: Answer): RpcOutcome {
  if (answer.error) return { problem: text`a body that could not be read (${answer.error})` };
  const body = answer.body.trim();
  if (body === "") return { problem: ours("an empty body") };
  const type = answer.headers.get("content-type") ?? "";
  if (/^text\/event-stream/i.test(type) || /^(event|data|id|retry|:)/.test(body)) {
    const message = streamedMessages(body).find((m) => "result" in m || "error" in m);
    return message
      ? messageShape(message)
      : { problem: ours("an event stream holding no JSON-RPC answer") };
  }
  const value = parseJson(body);
  if (value === undefined) return { problem: text`text that is not JSON (${type || "no type"})` };
  if (Array.isArray(value)) {
    return { problem: ours("a JSON array (a batch), not one JSON-RPC answer") };
  }
  const message = objectOf(value);
  if (!message) return { problem: text`JSON that is not a JSON-RPC answer (${value})` };
  return messageShape(message);
}

function messageShape(message: Record<string, unknown>): RpcOutcome {
  if ("error" in message) {
    const error = objectOf(message.error);
    return {
      problem: error
        ? text`a JSON-RPC error ${error.code} ${error.message}`
        : text`a JSON-RPC error ${message.error}`,
    };
  }
  if (!("result" in message)) {
    return { problem: ours("JSON that is not a JSON-RPC answer (no result, no error)") };
  }
  const result = objectOf(message.result);
  return result
    ? { result }
    : { problem: text`a result that is not an object (${message.result})` };
}

/** The JSON objects in an event stream's `data`, event by event. */
function streamedMessages(stream: string): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  for (const event of stream.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(line[5] === " " ? 6 : 5));
    const message = objectOf(parseJson(data.join("\n")));
    if (message) messages.push(message);
  }
  return messages;
}
