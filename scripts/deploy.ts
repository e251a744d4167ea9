/**
 * `deno task deploy [--prod]`: checks locally that the production settings you are about to rely
 * on are complete (the same checks the server runs at start-up), then hands over to `deno deploy`.
 * Reads the values from the environment you pass (e.g. `deno task deploy` with them exported), or
 * skips the check with `--skip-check` when they live only in Deno Deploy's settings.
 *
 * @module
 */
import { ConfigError, parseConfig } from "../src/config.ts";

const args = [...Deno.args];
const skip = args.includes("--skip-check");
const forward = args.filter((a) => a !== "--skip-check");

if (!skip) {
  try {
    parseConfig({ ...Deno.env.toObject(), DENO_DEPLOY: "check" });
    console.error("Production settings look complete.");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(
      `${error.message}\n\nSet these with \`deno deploy env add NAME VALUE [--secret]\` and export ` +
        "them here too, or pass --skip-check if they are already set in Deno Deploy.",
    );
    Deno.exit(1);
  }
}
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["deploy", ...forward],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
