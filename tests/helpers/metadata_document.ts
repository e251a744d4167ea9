/**
 * A client metadata document served over https on loopback (with the test CA's localhost
 * certificate), as a real client would publish one.
 *
 * @module
 */

const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);

/** A served document: its URL (the `client_id`), how often it was fetched, and disposal. */
export interface ServedDocument extends AsyncDisposable {
  url: string;
  fetches(): number;
}

/** Serves `document(url)` as JSON at `path` on a fresh port; anything else is 404. */
export async function serveMetadataDocument(
  path: string,
  document: (url: string) => unknown,
): Promise<ServedDocument> {
  let fetches = 0;
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    cert: await Deno.readTextFile(new URL("localhost.pem", TLS_DIR)),
    key: await Deno.readTextFile(new URL("localhost-key.pem", TLS_DIR)),
    onListen: () => {},
  }, (request): Response => {
    fetches++;
    if (new URL(request.url).pathname !== path) return new Response("not found", { status: 404 });
    return Response.json(document(url));
  });
  const url = `https://localhost:${server.addr.port}${path}`;
  return { url, fetches: () => fetches, [Symbol.asyncDispose]: () => server.shutdown() };
}
