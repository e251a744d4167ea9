/**
 * The first check every request meets: its URL must parse. `Deno.serve` builds `request.url` from
 * the `Host` header, so `Host: a:b` or `Host: [::1` yields a URL that `new URL` rejects; every later
 * layer (routing, the bearer gate, the request log) may parse it and must not be the first to find
 * out.
 *
 * @module
 */

/** Answers 400 for a request whose URL cannot be parsed (a malformed `Host`), else `null`. */
export function malformedRequestResponse(request: Request): Response | null {
  if (URL.canParse(request.url)) return null;
  return new Response("Bad request: the Host header is not a valid host.\n", {
    status: 400,
    headers: { "content-type": "text/plain; charset=utf-8", connection: "close" },
  });
}
