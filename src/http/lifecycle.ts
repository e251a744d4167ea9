/**
 * Serving through a shutdown without dropping anyone. On a shutdown signal the server first
 * drains: it keeps accepting and serving while readiness answers "draining", so a balancer stops
 * sending; every answer then closes its connection, so no kept-alive connection is left idle for
 * the listener's close to cut. Then the listener closes and the requests in flight finish. A
 * request whose body the close cut, or that is still unanswered when the time is up, is answered
 * `503` with `Retry-After`: the request was fine, the server is going away. Only after every
 * accepted request has its answer may the stores close.
 *
 * @module
 */

/** The answer to a request the shutdown keeps from being served: try again (elsewhere) shortly. */
export function shuttingDownResponse(): Response {
  return new Response(
    "Service unavailable: the server is shutting down; send the request again.\n",
    {
      status: 503,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "retry-after": "1",
        connection: "close",
      },
    },
  );
}

/** How {@linkcode ServingLifecycle.close} stops. */
export interface CloseOptions {
  /** How long to keep accepting and serving after the stop, ms (readiness says "draining"). */
  drainMs?: number;
  /**
   * By when, from the stop, every accepted request has its answer, ms: what is still unanswered
   * then is answered 503, and answers still streaming are ended. Unbounded when absent.
   */
  answerWithinMs?: number;
}

/** The requests of one server, tracked from acceptance to answer. */
export interface ServingLifecycle {
  /** The handler for `Deno.serve`: `serve`, tracked. */
  handler: Deno.ServeHandler;
  /** Whether the shutdown has begun. */
  readonly stopping: boolean;
  /**
   * Stops `server`: drains, closes the listener, waits for the requests in flight (answering
   * those left at `answerWithinMs` 503) and resolves once every accepted request has its answer.
   */
  close(server: Deno.HttpServer, options?: CloseOptions): Promise<void>;
}

/** What a request's server is doing, for those who read its body. */
interface ServerState {
  stopping: boolean;
}

const servedBy = new WeakMap<Request, ServerState>();

/**
 * Whether the server that accepted `request` is shutting down: a body that breaks off then was
 * cut by the shutdown (the listener's close ends every body still arriving), not by the client.
 */
export function shuttingDownFor(request: Request): boolean {
  return servedBy.get(request)?.stopping ?? false;
}

/** Tracks every request `serve` answers. */
export function servingLifecycle(serve: Deno.ServeHandler): ServingLifecycle {
  const state: ServerState = { stopping: false };
  /** Requests accepted and not yet answered: each can still be answered 503. */
  const unanswered = new Set<(response: Response) => void>();
  /** Answers whose bodies are still streaming: each can be ended. */
  const streaming = new Set<() => void>();
  let closing: Promise<void> | undefined;

  /** `response`, closing its connection once the shutdown has begun, its stream tracked. */
  const finish = (response: Response): Response => {
    const answer = trackStream(response, streaming);
    if (state.stopping) closeConnectionAfter(answer);
    return answer;
  };

  const handler: Deno.ServeHandler = (request, info) => {
    servedBy.set(request, state);
    const answer = serve(request, info);
    if (!(answer instanceof Promise)) return finish(answer);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (response: Response) => {
        if (settled) return false;
        settled = true;
        unanswered.delete(settle);
        resolve(response);
        return true;
      };
      unanswered.add(settle);
      answer.then(
        (response) => {
          // Answered 503 already (the time was up): what the work produced goes nowhere.
          if (!settle(finish(response))) response.body?.cancel().catch(() => {});
        },
        (error) => {
          if (settled) return;
          settled = true;
          unanswered.delete(settle);
          reject(error);
        },
      );
    });
  };

  const close = (server: Deno.HttpServer, options: CloseOptions = {}) => {
    closing ??= (async () => {
      const started = Date.now();
      state.stopping = true;
      const { drainMs = 0, answerWithinMs = Infinity } = options;
      if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      const closed = server.shutdown();
      const left = answerWithinMs - (Date.now() - started);
      if (Number.isFinite(left)) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = await Promise.race([
          closed.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), left))),
        ]);
        clearTimeout(timer);
        if (late) {
          for (const settle of [...unanswered]) settle(shuttingDownResponse());
          for (const end of [...streaming]) end();
        }
      }
      await closed;
    })();
    return closing;
  };

  return {
    handler,
    get stopping() {
      return state.stopping;
    },
    close,
  };
}

/** Sets `connection: close` on `response` (its headers may be immutable: then left as it is). */
function closeConnectionAfter(response: Response): void {
  try {
    response.headers.set("connection", "close");
  } catch {
    // A response whose headers cannot change (a proxied one) keeps its own.
  }
}

/**
 * `response`, its body ended on demand while it streams (an event stream, e.g. a listen stream
 * that would otherwise stay open as long as the client likes, and keep the server from closing).
 */
function trackStream(response: Response, streaming: Set<() => void>): Response {
  // The type is read first: asking a Response built from a string for its body makes a stream.
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream") || response.body === null) return response;
  const reader = response.body.getReader();
  let end = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      end = () => {
        streaming.delete(end);
        reader.cancel().catch(() => {});
        try {
          controller.close();
        } catch { /* already closed */ }
      };
      streaming.add(end);
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          streaming.delete(end);
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        streaming.delete(end);
        controller.error(error);
      }
    },
    cancel(reason) {
      streaming.delete(end);
      return reader.cancel(reason);
    },
  });
  return new Response(body, response);
}
