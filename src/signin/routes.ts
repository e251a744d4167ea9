/**
 * HTTP routes of the bundled development issuer.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { publicJwks, type SigningKey } from "./signing_key.ts";

/** Routes of the development issuer, mounted on the server's own origin. */
export function signinRoutes(options: { key: SigningKey; jwksPath: string }): Hono {
  const jwks = publicJwks(options.key);
  const app = new Hono();
  app.use(options.jwksPath, cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] }));
  app.get(options.jwksPath, (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(jwks);
  });
  return app;
}
