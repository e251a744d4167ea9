/**
 * How many `/mcp` requests one person may have open at once, in this process. Each open request
 * holds a server, its calls' database and KV work and its answer; without a bound, one signed-in
 * caller firing hundreds in parallel (or holding answers open) takes memory and the database from
 * everyone else. The count is synchronous, so it is exact however many requests arrive together.
 *
 * @module
 */

/** Counts open requests per person. */
export interface OpenRequests {
  /** Requests one person may have open. */
  readonly limit: number;
  /** Counts one more open request for `sub`; `null` when that would pass the limit. */
  enter(sub: string): (() => void) | null;
}

/** Creates the counter; `limit` per person. */
export function openRequestsPerPerson(limit: number): OpenRequests {
  const open = new Map<string, number>();
  return {
    limit,
    enter(sub) {
      const count = open.get(sub) ?? 0;
      if (count >= limit) return null;
      open.set(sub, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (open.get(sub) ?? 1) - 1;
        if (left > 0) open.set(sub, left);
        else open.delete(sub);
      };
    },
  };
}

/**
 * `response`, with `release` called once its body is over: at once for a body already complete
 * (JSON), when a streamed body ends or its reader goes away.
 */
export function releasedWhenSent(response: Response, release: () => void): Response {
  // The type is read first: asking a Response built from a string for its body makes a stream.
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream") || response.body === null) {
    release();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  return new Response(body, response);
}
