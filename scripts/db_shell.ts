/**
 * `deno task db:shell`: SQL against the embedded development database (PGlite in
 * `DATA_DIR/pglite`), to look at the pack's tables and the kit's. Statements end with `;` and may
 * span lines; results print as a table. `\dt` lists the tables with their row counts, `\d <table>`
 * its columns, `\q` quits. `-c "<sql>"` runs one command and exits; SQL piped on stdin runs too.
 *
 * PGlite takes no lock of its own, and two processes on one directory can damage it: the shell
 * holds the same lock as the server, so it refuses while the server runs (and the server refuses
 * to start while a shell is open). With `DATABASE_URL` set, use `psql "$DATABASE_URL"` instead.
 *
 * @module
 */
import { PGlite, type Results } from "@electric-sql/pglite";
import { ConfigError, loadConfig } from "../src/config.ts";
import { holdEmbeddedDatabase } from "../src/data_dir.ts";
import { StartupError } from "../src/errors.ts";
import { pathExists } from "../src/path_exists.ts";

/** Why the shell will not open. */
export class ShellRefused extends StartupError<"shell_refused"> {}

/** The widest a cell is shown (longer values end in `…`). */
const CELL_WIDTH = 60;

const HELP = `\\dt            the tables, with their row counts
\\d <table>     a table's columns
\\q             quit
Anything else is SQL, run when a line ends with ";".`;

/** PostgreSQL's type id of `date`, which PGlite hands back as a Date at midnight UTC. */
const DATE_TYPE = 1082;

/** One value as a cell: `NULL`, JSON for objects and arrays, ISO times, `\x…` for bytes. */
function cell(value: unknown, type?: number): string {
  const text = value === null || value === undefined
    ? "NULL"
    : value instanceof Date
    ? (type === DATE_TYPE ? value.toISOString().slice(0, 10) : value.toISOString())
    : value instanceof Uint8Array
    ? `\\x${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")}`
    : typeof value === "object"
    ? JSON.stringify(value)
    : String(value);
  const flat = text.replace(/\r?\n/g, "\\n");
  return flat.length > CELL_WIDTH ? `${flat.slice(0, CELL_WIDTH - 1)}…` : flat;
}

/** Rows as an aligned table, the way psql prints them, with the row count under it. */
export function formatRows(
  fields: readonly string[],
  rows: readonly unknown[][],
  types: readonly number[] = [],
): string {
  const cells = rows.map((row) => row.map((value, i) => cell(value, types[i])));
  const widths = fields.map((f, i) => Math.max(f.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values.map((v, i) => ` ${v.padEnd(widths[i])} `).join("|").trimEnd();
  const count = `(${rows.length} ${rows.length === 1 ? "row" : "rows"})`;
  return [line([...fields]), widths.map((w) => "-".repeat(w + 2)).join("+"), ...cells.map(line)]
    .concat(count).join("\n");
}

/** What one result prints: its rows, or how many rows the statement touched. */
function formatResult(result: Results): string {
  if (result.fields.length > 0) {
    const names = result.fields.map((f) => f.name);
    const rows = (result.rows as Record<string, unknown>[]).map((r) => names.map((n) => r[n]));
    return formatRows(names, rows, result.fields.map((f) => f.dataTypeID));
  }
  return result.affectedRows ? `OK, ${result.affectedRows} row(s)` : "OK";
}

/** A shell over an open database: runs one statement or command, answers what to print. */
export function shellOver(db: PGlite): (input: string) => Promise<string> {
  return async (input) => {
    const text = input.trim();
    if (text === "\\?") return HELP;
    if (text === "\\dt") {
      const tables = await db.query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      );
      const rows: unknown[][] = [];
      for (const { name } of tables.rows) {
        const counted = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${name.replaceAll('"', '""')}"`,
        );
        rows.push([name, counted.rows[0].n]);
      }
      return formatRows(["table", "rows"], rows);
    }
    const describe = /^\\d\s+(\S+)$/.exec(text);
    if (describe) {
      const columns = await db.query<Record<string, unknown>>(
        `SELECT column_name AS column, data_type AS type, is_nullable AS nullable,
                column_default AS default
           FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [describe[1]],
      );
      return columns.rows.length === 0
        ? `No table "${describe[1]}" (\\dt lists them).`
        : formatResult(columns);
    }
    if (text.startsWith("\\")) return `Unknown command ${text.split(/\s/)[0]}: \\? lists them.`;
    // Several statements at once: each result in turn.
    return (await db.exec(text)).map(formatResult).join("\n\n");
  };
}

/** Lines of `stream`, as they come. */
async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, end);
      pending = pending.slice(end + 1);
    }
  }
  if (pending) yield pending;
}

/** Runs the shell on stdin (or `-c`); answers the exit code (1 if a statement failed). */
async function main(args: string[]): Promise<number> {
  const config = loadConfig();
  const store = config.database;
  if (store.kind !== "pglite") {
    throw new ShellRefused(
      "shell_refused",
      'this configuration uses PostgreSQL (DATABASE_URL): look at it with psql "$DATABASE_URL". ' +
        "deno task db:shell opens only the embedded database.",
    );
  }
  if (!(await pathExists(store.dir))) {
    throw new ShellRefused(
      "shell_refused",
      `there is no embedded database in ${store.dir} yet: start the server once (deno task dev).`,
    );
  }
  const hold = await holdEmbeddedDatabase(store.dir);
  if (!hold) {
    throw new ShellRefused(
      "shell_refused",
      `the embedded database in ${store.dir} is open in another process (the development ` +
        "server, most likely). Stop it first (Ctrl-C), then run deno task db:shell again: PGlite " +
        "takes no lock of its own, and two processes at once can damage it.",
    );
  }
  const interactive = Deno.stdin.isTerminal();
  const say = (text: string) => console.error(text);
  if (interactive) say(`Opening the embedded database in ${store.dir}…`);
  const db = new PGlite(store.dir);
  let failed = false;
  try {
    await db.waitReady;
    const run = shellOver(db);
    const answer = async (input: string) => {
      try {
        console.log(await run(input));
      } catch (error) {
        failed = true;
        console.log(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const command = args[0] === "-c" ? args[1] : undefined;
    if (command !== undefined) {
      await answer(command);
      return failed ? 1 : 0;
    }
    say(`Embedded database ${store.dir} open. \\dt lists the tables, \\? helps, \\q quits.`);
    const prompt = (continuing: boolean) => {
      if (interactive) {
        Deno.stdout.writeSync(new TextEncoder().encode(continuing ? "db-> " : "db=> "));
      }
    };
    let statement = "";
    // Ctrl-C between statements closes the database properly (during one, the query has the thread).
    Deno.addSignalListener("SIGINT", () => {
      void db.close().finally(() => {
        hold.release();
        Deno.exit(130);
      });
    });
    prompt(false);
    for await (const line of linesOf(Deno.stdin.readable)) {
      const text = line.trim();
      if (statement === "" && text.startsWith("\\")) {
        if (text === "\\q") break;
        await answer(text);
      } else if (text !== "" || statement !== "") {
        statement += `${line}\n`;
        if (text.endsWith(";")) {
          await answer(statement);
          statement = "";
        }
      }
      prompt(statement !== "");
    }
    if (statement.trim() !== "") await answer(statement);
    return failed && !interactive ? 1 : 0;
  } finally {
    await db.close();
    hold.release();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ShellRefused) {
      console.error(`db:shell: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
