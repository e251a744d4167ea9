/**
 * `deno task inspect [--sub NAME]`: opens MCP Inspector's web UI already pointed at the development
 * server last started with this `DATA_DIR` (its URL and issuer come from what it recorded there),
 * with a development access token in the Authorization header: no sign-in dance, straight to
 * tools/list and begin_session. Start the server first (`deno task dev`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config.ts";
import { issueAccessToken } from "../src/signin/access_token.ts";
import { type IssuerRecord, readIssuerRecord } from "../src/signin/issuer_record.ts";
import { loadOrCreateSigningKey } from "../src/signin/signing_key.ts";

/** The Inspector this task runs (the version the kit's tests check against). */
export const INSPECTOR = "npm:@modelcontextprotocol/inspector@2.12.0/inspector";

/** The arguments of `deno` that open the Inspector's web UI on `server` with `token`. */
export function inspectorArgs(server: IssuerRecord, token: string): string[] {
  return [
    "run",
    "-A",
    INSPECTOR,
    "--web",
    "--transport",
    "http",
    "--server-url",
    server.resourceUrl,
    "--protocol-era",
    "auto",
    "--header",
    `Authorization: Bearer ${token}`,
  ];
}

if (import.meta.main) {
  try {
    const config = loadConfig();
    const { values } = parseArgs({
      args: Deno.args,
      options: { sub: { type: "string", default: "inspector" } },
      strict: true,
    });
    const server = await readIssuerRecord(config.dataDir);
    if (!server) {
      console.error(
        `inspect: no development server has started with DATA_DIR=${config.dataDir} yet. Start ` +
          "one (deno task dev), then run this again with the same DATA_DIR.",
      );
      Deno.exit(1);
    }
    const token = await issueAccessToken(await loadOrCreateSigningKey(config.dataDir), {
      issuer: server.issuer,
      audience: server.resourceUrl,
      sub: values.sub!,
      scope: server.scopes.join(" "),
      clientId: "inspect-task",
      ttlSeconds: 3600,
    });
    console.log(
      `Opening MCP Inspector on ${server.resourceUrl}, signed in as "${values.sub}" for an hour.`,
    );
    // From a scratch directory: the Inspector's packages stay out of the project's lock files.
    const scratch = await Deno.makeTempDir({ prefix: "kit-inspect-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: inspectorArgs(server, token),
      cwd: scratch,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const { code } = await child.status;
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    Deno.exit(code);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TypeError) {
      console.error(`inspect: ${(error as Error).message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
