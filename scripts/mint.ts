/**
 * `deno task mint --sub alice [--email a@example.com] [--aud URL] [--iss URL] [--ttl SECONDS]
 * [--scope "…"]` prints an access token signed with the development key, for tests and for trying
 * the door with curl. A negative `--ttl` gives an already expired token.
 *
 * It signs for the development server last started with the same `DATA_DIR` (which records its
 * issuer there), whatever `PORT` or `PUBLIC_URL` that server had; `PUBLIC_URL`/`PORT` given here,
 * or `--iss`/`--aud`, override it. It says on standard error which issuer it signed for.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config.ts";
import { issueAccessToken } from "../src/signin/access_token.ts";
import { readIssuerRecord } from "../src/signin/issuer_record.ts";
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
  // The server recorded who it is in the data directory; what is set here explicitly wins.
  const recorded = await readIssuerRecord(config.dataDir);
  const explicit = ["PUBLIC_URL", "PORT", "RESOURCE_URL"].some((name) => Deno.env.get(name));
  const server = recorded && !explicit ? recorded : undefined;
  const issuer = values.iss ?? server?.issuer ?? config.auth.issuer;
  const audience = values.aud ?? server?.resourceUrl ?? config.resourceUrl;
  if (recorded && explicit && recorded.issuer !== issuer) {
    console.error(
      `note: the server last started with DATA_DIR=${config.dataDir} is ${recorded.issuer}; this ` +
        `token is for ${issuer} (drop PUBLIC_URL/PORT to sign for that server).`,
    );
  }
  console.error(
    `Signed for issuer ${issuer}, resource ${audience}${
      server
        ? ` (the server recorded in ${config.dataDir})`
        : recorded
        ? ""
        : " (no server has started with this DATA_DIR yet)"
    }.`,
  );
  const key = await loadOrCreateSigningKey(config.dataDir);
  const token = await issueAccessToken(key, {
    issuer,
    audience,
    sub: values.sub,
    email: values.email,
    scope: values.scope ??
      (server?.scopes.length ? server.scopes : config.requiredScopes).join(" "),
    clientId: values["client-id"] ?? "mint-cli",
    ttlSeconds: ttl,
  });
  console.log(token);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
