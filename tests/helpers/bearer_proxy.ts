/**
 * A loopback proxy that adds `Authorization: Bearer <token>` to every request, for peers (the
 * conformance suite) that cannot send one themselves. `Host` and `Origin` pass through unchanged
 * so the server's own checks still see what the peer sent.
 *
 * @module
 */

/** A running proxy. */
export interface BearerProxy extends AsyncDisposable {
  /** The proxy's URL for `path` on the target. */
  url(path: string): string;
}

/** Starts a proxy to `target` (an origin) that adds `token`. */
export function startBearerProxy(target: string, token: string): BearerProxy {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const incoming = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.set("authorization", `Bearer ${token}`);
    return fetch(new URL(incoming.pathname + incoming.search, target), {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
    });
  });
  return {
    url: (path) => `http://localhost:${server.addr.port}${path}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
