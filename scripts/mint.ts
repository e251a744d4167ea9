/**
 * `deno task mint --sub alice [--email a@example.com] [--aud URL] [--iss URL] [--ttl SECONDS]
 * [--scope "…"]` prints an access token signed with the development key, for tests and for trying
 * the door with curl. A negative `--ttl` gives an already expired token.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config.ts";
import { issueAccessToken } from "../src/signin/access_token.ts";
import { loadOrCreateSigningKey } from "../src/signin/signing_key.ts";

const USAGE =
  'usage: deno task mint --sub ID [--email ADDRESS] [--aud URL] [--iss URL] [--ttl SECONDS] [--scope "A B"]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

try {
  const config = loadConfig();
  const { values } = (() => {
    try {
      return parseArgs({
        args: Deno.args,
        options: {
          sub: { type: "string" },
          email: { type: "string" },
          aud: { type: "string" },
          iss: { type: "string" },
          ttl: { type: "string" },
          scope: { type: "string" },
          "client-id": { type: "string" },
        },
        allowNegative: false,
        strict: true,
      });
    } catch (error) {
      fail((error as Error).message);
    }
  })();
  if (!values.sub?.trim()) fail("--sub is required");
  const ttl = Number(values.ttl ?? 3600);
  if (!Number.isInteger(ttl)) fail("--ttl must be a whole number of seconds");
  if (config.auth.kind !== "development" && !values.iss) {
    console.error(
      `note: AUTH_ISSUER is set; this token is signed by the development key and ${config.auth.issuer} ` +
        "tokens are what the server accepts.",
    );
  }
  const key = await loadOrCreateSigningKey(config.dataDir);
  const token = await issueAccessToken(key, {
    issuer: values.iss ?? config.auth.issuer,
    audience: values.aud ?? config.resourceUrl,
    sub: values.sub,
    email: values.email,
    scope: values.scope ?? config.requiredScopes.join(" "),
    clientId: values["client-id"] ?? "mint-cli",
    ttlSeconds: ttl,
  });
  console.log(token);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
