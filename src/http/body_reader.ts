/**
 * Every request body is read in full, under time bounds, before any route sees it. A client that
 * stops sending half way (a slow-loris body) would otherwise hold its connection, its buffers and
 * a handler for as long as it liked; one that goes away mid-body would surface as a stream error
 * inside whichever route was reading.
 *
 * @module
 */

/** Bounds on reading one body. */
export interface BodyBounds {
  /** Longest wait for the next chunk, ms (`BODY_IDLE_TIMEOUT_MS`). */
  idleMs: number;
  /** Longest the whole body may take, ms: a trickle of one byte per `idleMs` still ends. */
  totalMs: number;
  /**
   * Bytes kept at most. Reading stops one byte past it, so the route's own size limit still
   * answers (413, in its own format) without this reader holding more.
   */
  maxBytes: number;
}

/**
 * Reads `request`'s body within `bounds` and returns the same request over the buffered bytes, or
 * the answer when the body did not arrive: 408 when it stalled or took too long, 400 when the
 * client broke it off (there is rarely anyone left to read that one).
 */
export async function readBodyWithin(
  request: Request,
  bounds: BodyBounds,
): Promise<Request | Response> {
  if (request.body === null) return request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = Date.now() + bounds.totalMs;
  try {
    while (size <= bounds.maxBytes) {
      const wait = Math.min(bounds.idleMs, deadline - Date.now());
      const next = wait > 0 ? await readWithin(reader, wait) : "timeout";
      if (next === "timeout") {
        reader.cancel().catch(() => {});
        return refusal(408, "Request timeout: the request body stopped arriving.");
      }
      if (next.done) break;
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  } catch {
    reader.cancel().catch(() => {});
    return refusal(400, "Bad request: the request body could not be read.");
  }
  if (size > bounds.maxBytes) reader.cancel().catch(() => {});
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request, { body });
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
