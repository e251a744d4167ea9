/**
 * Start-up: turns an environment into a listening server.
 *
 * @module
 */
import { createAccessVerifier } from "./auth/access_verifier.ts";
import { createApp } from "./app.ts";
import { type Config, parseConfig } from "./config.ts";
import { dirname } from "node:path";
import type { SigninContext } from "./signin/context.ts";
import { loadOrCreateSigningKey, publicJwks } from "./signin/signing_key.ts";

/** A listening server. */
export interface RunningServer {
  /** The effective configuration (with the real port when `PORT=0`). */
  config: Config;
  /** Stops accepting connections and waits for in-flight requests. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/**
 * Parses `env`, opens what the app needs, and serves it. With `PORT=0` the system picks a free port
 * and the default `PUBLIC_URL` follows it, which is how tests start real servers side by side.
 *
 * @throws {ConfigError} when the environment is invalid.
 */
export async function startServer(env: Record<string, string | undefined>): Promise<RunningServer> {
  let config = parseConfig(env);
  let handle: (request: Request) => Response | Promise<Response> = () =>
    new Response("Starting up", { status: 503, headers: { "retry-after": "1" } });
  const server = Deno.serve(
    { port: config.port, hostname: config.bindHost, onListen: () => {} },
    (request) => handle(request),
  );
  let kv: Deno.Kv | undefined;
  try {
    if (config.port === 0) config = parseConfig({ ...env, PORT: String(server.addr.port) });
    if (config.kvPath) await Deno.mkdir(dirname(config.kvPath), { recursive: true });
    kv = await Deno.openKv(config.kvPath);
    let signin: SigninContext | undefined;
    if (config.auth.kind === "development") {
      const signingKey = await loadOrCreateSigningKey(config.dataDir);
      signin = {
        kv,
        issuer: config.auth.issuer,
        jwksUrl: config.auth.jwksUrl,
        resourceUrl: config.resourceUrl,
        scopes: config.requiredScopes,
        signingKey,
        accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
        refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
        registrationsPerHour: config.auth.registrationsPerHour,
        metadataDocumentHostAllowlist: config.auth.metadataDocumentHostAllowlist,
        warnOnPages: config.auth.warnOnPages,
      };
    }
    const verifyAccess = createAccessVerifier(config, signin && publicJwks(signin.signingKey));
    handle = createApp({ config, verifyAccess, signin }).fetch;
  } catch (error) {
    await server.shutdown();
    kv?.close();
    throw error;
  }
  const openKv = kv;
  const shutdown = async () => {
    await server.shutdown();
    openKv.close();
  };
  return { config, shutdown, finished: server.finished };
}
