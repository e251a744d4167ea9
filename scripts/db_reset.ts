/**
 * `deno task db:reset`: starts the development database afresh — every table, the kit's and the
 * pack's, and what they hold — for when a migration was edited after it ran on this machine. The
 * signing key, the session secret and the registered clients (in `DATA_DIR`'s files and KV) stay,
 * so hosts that signed in before keep their sign-in; they start a new session as a first visit.
 *
 * Development only: it refuses a production configuration and a `DATABASE_URL` whose host is not
 * this machine. Stop the development server first (the embedded database is one process's).
 *
 * @module
 */
import { type Config, ConfigError, loadConfig, type PostgresConfig } from "../src/config.ts";
import { StartupError } from "../src/errors.ts";
import { openPostgres } from "../src/store/postgres.ts";
import { pathExists } from "../src/path_exists.ts";

/** Why the reset will not run. */
export class ResetRefused extends StartupError<"reset_refused"> {}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** What would be reset for `config`, or why not. */
export function resetPlan(config: Config): { kind: "pglite"; dir: string } | {
  kind: "postgres";
  database: PostgresConfig;
} {
  if (config.production) {
    throw new ResetRefused(
      "reset_refused",
      "deno task db:reset runs only in development: this configuration is production " +
        "(APP_ENV=production or Deno Deploy). It never empties a production database.",
    );
  }
  const store = config.database;
  if (store.kind === "pglite") return { kind: "pglite", dir: store.dir };
  const url = new URL(store.url.replace(/^postgres(ql)?:/i, "http:"));
  const host = url.hostname.toLowerCase();
  // The driver lets query parameters (host, hostaddr) override the URL's host: refused outright,
  // as is a WebSocket proxy elsewhere (the statements would travel on from there).
  const overrides = [...url.searchParams.keys()].filter((k) => /^(host|hostaddr)$/i.test(k));
  if (overrides.length > 0) {
    throw new ResetRefused(
      "reset_refused",
      `deno task db:reset does not follow DATABASE_URL's ${overrides.join(", ")} parameter; ` +
        "name the host in the URL itself (localhost).",
    );
  }
  const proxy = store.wsProxy?.split(":")[0].toLowerCase();
  if (proxy !== undefined && !LOCAL_HOSTS.has(proxy)) {
    throw new ResetRefused(
      "reset_refused",
      `deno task db:reset empties only a database on this machine; DATABASE_WS_PROXY is ${proxy}.`,
    );
  }
  if (!LOCAL_HOSTS.has(host)) {
    throw new ResetRefused(
      "reset_refused",
      `deno task db:reset empties only a database on this machine; DATABASE_URL names ${host}. ` +
        "Reset a shared or remote database with its own tools, deliberately.",
    );
  }
  return { kind: "postgres", database: store };
}

/** Empties the development database `config` names; returns what it did, in words. */
export async function resetDatabase(config: Config): Promise<string> {
  const plan = resetPlan(config);
  if (plan.kind === "pglite") {
    if (!(await pathExists(plan.dir))) return `Nothing to reset: ${plan.dir} does not exist yet.`;
    await Deno.remove(plan.dir, { recursive: true });
    return `Removed the embedded database in ${plan.dir}; the next start creates it afresh.`;
  }
  const sql = await openPostgres(plan.database, { timeoutMs: 10_000 });
  try {
    await sql.transaction(async (tx) => {
      await tx.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    }, { signal: AbortSignal.timeout(30_000) });
  } finally {
    await sql.close();
  }
  return "Emptied the database's public schema; the next start applies every migration afresh.";
}

if (import.meta.main) {
  try {
    const config = loadConfig();
    console.log(await resetDatabase(config));
    console.log(
      `Kept: the signing key, the session secret and the registered clients in ${config.dataDir}. ` +
        "Hosts stay signed in; a new begin_session starts as a first visit.",
    );
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ResetRefused) {
      console.error(`db:reset: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
