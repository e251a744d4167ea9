/**
 * Request bodies are read in full, under a size bound and time bounds, before a route handles
 * them. A client that stops sending half way (a slow-loris body) would otherwise hold its
 * connection, its buffers and a handler for as long as it liked; one that goes away mid-body
 * would surface as a stream error inside the route; and a body of many tiny chunks must not cost
 * more than its bytes (each chunk Deno hands over may hold on to a much larger buffer, so chunks
 * are copied into one buffer, never kept).
 *
 * Mounted per route, after the bearer check where there is one, so nobody can make the server
 * read a body before they are known.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { shuttingDownFor, shuttingDownResponse } from "./lifecycle.ts";

/** Bounds on reading one body. */
export interface BodyBounds {
  /** Longest wait for the next chunk, ms (`BODY_IDLE_TIMEOUT_MS`). */
  idleMs: number;
  /** Longest the whole body may take, ms: a trickle of one byte per `idleMs` still ends. */
  totalMs: number;
  /** Bytes accepted at most. */
  maxBytes: number;
}

/**
 * The body of `request` read within `bounds`: `{ body }` when it arrived whole, or why not —
 * `too_large` (declared or sent past `maxBytes`; reading stops there), `timeout` (it stalled, or
 * took longer than `totalMs`), `broken` (the client broke it off).
 */
export async function readBodyWithin(
  request: Request,
  bounds: BodyBounds,
): Promise<{ body: Uint8Array<ArrayBuffer> } | { problem: "too_large" | "timeout" | "broken" }> {
  if (request.body === null) return { body: new Uint8Array(0) };
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > bounds.maxBytes) return { problem: "too_large" };
  const reader = request.body.getReader();
  let buffer = new Uint8Array(Math.min(bounds.maxBytes, Number(declared) || 16 * 1024));
  let size = 0;
  const deadline = Date.now() + bounds.totalMs;
  try {
    for (;;) {
      const wait = Math.min(bounds.idleMs, deadline - Date.now());
      const next = wait > 0 ? await readWithin(reader, wait) : "timeout";
      if (next === "timeout") {
        reader.cancel().catch(() => {});
        return { problem: "timeout" };
      }
      if (next.done) break;
      const end = size + next.value.byteLength;
      if (end > bounds.maxBytes) {
        reader.cancel().catch(() => {});
        return { problem: "too_large" };
      }
      if (end > buffer.length) {
        const grown = new Uint8Array(Math.min(bounds.maxBytes, Math.max(end, buffer.length * 2)));
        grown.set(buffer.subarray(0, size));
        buffer = grown;
      }
      buffer.set(next.value, size);
      size = end;
    }
  } catch {
    reader.cancel().catch(() => {});
    return { problem: "broken" };
  }
  return { body: buffer.subarray(0, size) };
}

/**
 * Middleware that reads the body within `bounds` and hands the route a request over the bytes
 * read: 408 when it stalled, 400 when it was broken off, `tooLarge(c)` when over the limit (each
 * route answers that in its own format). While the server shuts down, a body that breaks off or
 * stalls is answered 503 with `Retry-After` instead: the shutdown cut it, not the client.
 */
export function boundedBody(
  bounds: BodyBounds,
  tooLarge: (c: Context) => Response,
  { keepAside = false }: { keepAside?: boolean } = {},
): MiddlewareHandler {
  return createMiddleware(async (c, next) => {
    if (c.req.raw.body === null) return await next();
    const read = await readBodyWithin(c.req.raw, bounds);
    if ("problem" in read) {
      if (read.problem === "too_large") return tooLarge(c);
      if (shuttingDownFor(c.req.raw)) return shuttingDownResponse();
      return read.problem === "timeout"
        ? refusal(408, "Request timeout: the request body stopped arriving.")
        : refusal(400, "Bad request: the request body could not be read.");
    }
    // A route that takes the bytes itself (see `bodyRead`) is spared a second request object.
    if (keepAside) readBodies.set(c.req.raw, read.body);
    else c.req.raw = new Request(c.req.raw, { body: read.body as Uint8Array<ArrayBuffer> });
    await next();
  });
}

const readBodies = new WeakMap<Request, Uint8Array>();

/** The body `boundedBody(…, { keepAside: true })` read for `request` (empty if there was none). */
export function bodyRead(request: Request): Uint8Array {
  return readBodies.get(request) ?? new Uint8Array(0);
}

function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<ReadableStreamReadResult<Uint8Array> | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
}

function refusal(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", connection: "close" },
  });
}
