/**
 * Start-up: turns an environment into a listening server.
 *
 * @module
 */
import { createAccessVerifier } from "./auth/access_verifier.ts";
import { createApp } from "./app.ts";
import { type Config, parseConfig } from "./config.ts";
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
  try {
    if (config.port === 0) config = parseConfig({ ...env, PORT: String(server.addr.port) });
    const devSigningKey = config.auth.kind === "development"
      ? await loadOrCreateSigningKey(config.dataDir)
      : undefined;
    const verifyAccess = createAccessVerifier(
      config,
      devSigningKey && publicJwks(devSigningKey),
    );
    const app = createApp({ config, verifyAccess, devSigningKey });
    handle = app.fetch;
  } catch (error) {
    await server.shutdown();
    throw error;
  }
  return { config, shutdown: () => server.shutdown(), finished: server.finished };
}
