/**
 * RFC 9728 Protected Resource Metadata: how a host that met our 401 finds the authorization
 * server to sign the person in with.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";

/** Inputs of the metadata document. */
export interface ProtectedResourceOptions {
  /** Exactly our `RESOURCE_URL`. */
  resource: string;
  /** The issuer that signs the tokens we accept. */
  issuer: string;
  /**
   * Scopes a host should request: those a token needs here, and `offline_access` where the issuer
   * offers it (so it issues a refresh token; a token need never carry it). Read per request: an
   * external issuer's offer is known once its metadata has been fetched.
   */
  scopes: () => readonly string[];
  /** Human-readable name of the resource (the product's name). */
  resourceName: string;
}

/** The metadata document. */
export function protectedResourceMetadata(options: ProtectedResourceOptions) {
  return {
    resource: options.resource,
    authorization_servers: [options.issuer],
    scopes_supported: [...options.scopes()],
    bearer_methods_supported: ["header"],
    resource_name: options.resourceName,
  };
}

/** The URL the 401 challenge points at: `/.well-known/oauth-protected-resource` + resource path. */
export function protectedResourceMetadataUrl(resource: string): string {
  // RFC 9728 §3.1: the well-known segment goes between the origin and the resource's path.
  const url = new URL(resource);
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
  url.pathname = `/.well-known/oauth-protected-resource${path === "/" ? "" : path}`;
  url.hash = "";
  return url.href;
}

/**
 * Routes serving the document at the path-aware URL and at the bare well-known path (for clients
 * that probe the origin), with open CORS so browser-based hosts can read it.
 */
export function protectedResourceRoutes(options: ProtectedResourceOptions): Hono {
  const paths = new Set([
    new URL(protectedResourceMetadataUrl(options.resource)).pathname,
    "/.well-known/oauth-protected-resource",
  ]);
  const app = new Hono();
  for (const path of paths) {
    app.use(path, cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] }));
    app.get(path, (c) => {
      c.header("cache-control", "public, max-age=300");
      return c.json(protectedResourceMetadata(options));
    });
  }
  return app;
}
