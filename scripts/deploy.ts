/**
 * `deno task deploy [--prod]`: checks locally that the production settings you are about to rely
 * on are complete (the same checks the server runs at start-up), then hands over to `deno deploy`.
 * Reads the values from the environment you pass (e.g. `deno task deploy` with them exported), or
 * skips the check with `--skip-check` when they live only in Deno Deploy's settings.
 *
 * @module
 */
import { ConfigError, parseConfig } from "../src/config.ts";
import { fetchIssuerMetadata, IssuerMismatchError } from "../src/auth/issuer_metadata.ts";

/**
 * What the issuer says of itself, before deploying: a mismatch with `AUTH_ISSUER` would make every
 * sign-in end in 503s, so it stops here; an issuer that cannot be reached from here is a warning.
 */
async function checkIssuer(issuer: string): Promise<void> {
  try {
    const metadata = await fetchIssuerMetadata(issuer);
    console.error(`The issuer answers as ${issuer} (${metadata.at}).`);
  } catch (error) {
    if (error instanceof IssuerMismatchError) {
      console.error(error.message);
      Deno.exit(1);
    }
    console.error(
      `warning: the issuer ${issuer} could not be checked from here (${(error as Error).message}).`,
    );
  }
}

const args = [...Deno.args];
const skip = args.includes("--skip-check");
const forward = args.filter((a) => a !== "--skip-check");

if (!skip) {
  try {
    const config = parseConfig({ ...Deno.env.toObject(), DENO_DEPLOY: "check" });
    console.error("Production settings look complete.");
    if (config.auth.kind === "external") await checkIssuer(config.auth.issuer);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(
      `${error.message}\n\nSet these with \`deno deploy env add NAME VALUE [--secret]\` and export ` +
        "them here too, or pass --skip-check if they are already set in Deno Deploy.",
    );
    Deno.exit(1);
  }
}
// The new Deno Deploy links one database to an app: Deno KV is the one to provision and assign;
// Neon comes in as the DATABASE_URL secret.
console.error(
  "Deno KV must be provisioned and assigned to the app (dashboard: Databases → Deno KV → " +
    "Assign); DATABASE_URL (Neon) stays a secret, not a linked database.",
);
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["deploy", ...forward],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
