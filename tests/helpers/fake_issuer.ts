/**
 * A stand-in external authorization server (what production's `AUTH_ISSUER` points at): RFC 8414
 * metadata and a JWKS, over https on loopback with the test CA, signing tokens on request.
 *
 * @module
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** A running stand-in issuer. */
export interface FakeIssuer extends AsyncDisposable {
  issuer: string;
  /** Signs an access token for `audience`. */
  token(sub: string, audience: string): Promise<string>;
}

/** Starts the issuer on https://localhost:<port>. */
export async function startFakeIssuer(): Promise<FakeIssuer> {
  const tls = new URL("../fixtures/tls/", import.meta.url);
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let issuer = "";
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    cert: await Deno.readTextFile(new URL("localhost.pem", tls)),
    key: await Deno.readTextFile(new URL("localhost-key.pem", tls)),
    onListen: () => {},
  }, (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/.well-known/oauth-authorization-server") {
      return Response.json({ issuer, jwks_uri: `${issuer}/jwks` });
    }
    if (pathname === "/jwks") return Response.json({ keys: [jwk] });
    return new Response("not found", { status: 404 });
  });
  issuer = `https://localhost:${server.addr.port}`;
  return {
    issuer,
    token: (sub, audience) =>
      new SignJWT({ scope: "mcp" })
        .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
        .setIssuer(issuer)
        .setSubject(sub)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
