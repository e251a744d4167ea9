/**
 * What a pack's own tests need, from one place: a real server serving the pack on a free port, a
 * real MCP client signed in as a person, a test database with the pack's migrations on either
 * backend, and a person who already has data. A pack's tests import the kit through this file and
 * `mod.ts` only, like its code imports it through `mod.ts`.
 *
 * **The one file of `src/pack/` that imports the kit.** Everything else here imports nothing but
 * zod and this folder; this file cannot: a test server *is* the kit (its server, its databases,
 * its sign-in keys), and the kit's own test helpers (`tests/helpers/`) already build each part.
 * So it wires them, for tests only: nothing that runs in the server imports it (`mod.ts` does not
 * export it, and no file but a `*_test.ts` may import it), so the MCP client and the test
 * database's packages never reach `deno task dev`'s install — they resolve from `deno.test.json`,
 * which `deno task test` and `deno task check` use. `tests/architecture/import_direction_test.ts`
 * holds all of this.
 *
 * Backends: `"postgres"` is PostgreSQL reached the production way, through the Neon driver and a
 * loopback WebSocket relay (the machine's PostgreSQL, or an embedded one behind the wire protocol
 * where none runs); `"pglite"` is the embedded database `deno task dev` uses. The same SQL gives
 * the same JavaScript values on both; run a pack's tests on both ({@linkcode BACKENDS}).
 *
 * @example A pack's tool test, on both backends
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { definePack } from "./mod.ts"; // in a pack: import { myPack } from "./pack.ts";
 * import { BACKENDS, startPackServer } from "./testing.ts"; // in a pack: "../../pack/testing.ts"
 *
 * declare const myPack: ReturnType<typeof definePack>;
 *
 * for (const backend of BACKENDS) {
 *   Deno.test(`my pack on ${backend}: what a person keeps comes back`, async () => {
 *     await using server = await startPackServer(myPack, { backend });
 *     const { chat, session } = await server.personWithData("ann");
 *     const listed = await chat.call("domain_list", { session });
 *     assert(!listed.isError, listed.text);
 *     assertEquals(listed.data.items.length, 1);
 *   });
 * }
 * ```
 *
 * @module
 */
import { databaseOver } from "../store/database.ts";
import { openPglite } from "../store/pglite.ts";
import { rowsMentioning } from "../../tests/helpers/inspect.ts";
import { openChat } from "../../tests/helpers/mcp_client.ts";
import { createTestDatabase } from "../../tests/helpers/postgres.ts";
import { startTestServer } from "../../tests/helpers/server.ts";
import type { Pack } from "./domain_pack.ts";
import { failClosedSentence, loadPack, reminderLine } from "./kit_side.ts";
import type { SqlClient, SqlTransaction } from "./sql.ts";

export { exampleOf } from "../../tests/helpers/examples.ts";

/** Where a test's data lives: PostgreSQL through the Neon driver, or the embedded PGlite. */
export type Backend = "postgres" | "pglite";

/** Both backends, production's first: loop a test over them. */
export const BACKENDS: readonly Backend[] = ["postgres", "pglite"];

/** How long one database call may take in a test database, ms (the store deadline). */
const TEST_TIMEOUT_MS = 10_000;

/** A tool's answer as a test reads it. */
export interface ChatAnswer {
  /** Whether it failed (refused, failed closed, the call failed). */
  isError: boolean;
  /** The text rendering: what hosts that show only text give the model. */
  text: string;
  /** The structured content of a success (`undefined` for a failure). */
  // deno-lint-ignore no-explicit-any
  data: any;
}

/** A person's chat: a real MCP client, signed in, talking to the server over HTTP. */
export interface Chat extends AsyncDisposable {
  /** Calls a tool; pass the session as `session`, as a host does. */
  call(name: string, args?: Record<string, unknown>): Promise<ChatAnswer>;
  /** Calls `begin_session`: the session token the other tools need, and the whole answer. */
  begin(): Promise<{ session: string; result: ChatAnswer }>;
}

/** A server serving one pack, for its tests. */
export interface PackTestServer extends AsyncDisposable {
  /** The connector URL (`…/mcp`) a host would be given. */
  readonly url: string;
  /** The database it runs on. */
  readonly backend: Backend;
  /**
   * The SQL client the pack's store is built over on this server (every call bounded, failures
   * failing closed): to look at the pack's tables, or to call the store directly.
   */
  readonly sql: SqlClient;
  /** A new chat for `person` (any subject; their email is `<person>@example.com`). */
  chat(person: string, options?: { era?: "2025" | "2026" }): Promise<Chat>;
  /**
   * A chat for `person` with a session begun and every `write` example of the pack run in order,
   * each succeeding: a person who already has data, for the paths an empty person never takes.
   *
   * @throws {Error} naming the tool when one of those examples does not succeed.
   */
  personWithData(person: string): Promise<{ chat: Chat; session: string }>;
  /** Rows anywhere in the database whose text mentions `needle`, counted by table. */
  rowsMentioning(needle: string): Promise<Record<string, number>>;
  /** Stops the server and removes its database and data directory. */
  close(): Promise<void>;
}

/** What {@linkcode startPackServer} starts with. */
export interface PackServerOptions {
  /** Default `"postgres"`. */
  backend?: Backend;
  /** Configuration variables, as in `.env.example` (`STATE_MAX_BYTES: "4096"`). */
  env?: Record<string, string>;
}

/**
 * Starts the kit's real server serving `pack` on a free port, in development mode, with its own
 * data directory and a fresh database; close it (or `await using` it) to remove both.
 */
export async function startPackServer(
  pack: Pack,
  options: PackServerOptions = {},
): Promise<PackTestServer> {
  const backend = options.backend ?? "postgres";
  const server = await startTestServer(options.env ?? {}, { pack, database: backend });
  const chat = (person: string, { era = "2025" }: { era?: "2025" | "2026" } = {}) =>
    openChat(server, person, era);
  return {
    url: server.mcpUrl,
    backend,
    sql: server.resources.database.sql,
    chat,
    async personWithData(person) {
      const opened = await chat(person);
      const { session } = await opened.begin();
      for (const tool of pack.tools.filter((t) => t.access === "write")) {
        const result = await opened.call(tool.name, { ...tool.example, session });
        if (result.isError) {
          await opened[Symbol.asyncDispose]();
          throw new Error(`${tool.name}'s example did not succeed for ${person}: ${result.text}`);
        }
      }
      return { chat: opened, session };
    },
    rowsMentioning: (needle) => rowsMentioning(server.resources.sql, needle),
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/** A database with the kit's and a pack's migrations, for the pack's store tests. */
export interface PackTestDatabase extends AsyncDisposable {
  /** Which backend it is. */
  readonly backend: Backend;
  /**
   * The SQL client a pack's store gets (`createStore(sql, content)`): the kit's and the pack's
   * migrations and the content run on its first call; every call is bounded and fails closed.
   */
  readonly sql: SqlClient;
  /**
   * Adds a person — the `users` row every personal row references — and returns their subject
   * (`sub`, a fresh one unless given).
   */
  addPerson(sub?: string): Promise<string>;
  /** Closes it; a PostgreSQL test database is dropped. */
  close(): Promise<void>;
}

/** What {@linkcode openTestDatabase} opens. */
export interface TestDatabaseOptions {
  /** Default `"postgres"`. */
  backend?: Backend;
  /**
   * Writes the content the test needs into the pack's tables (after the migrations), instead of
   * the pack's own fixed content (copied by default).
   */
  seed?: (tx: SqlTransaction) => Promise<void>;
}

/**
 * Opens an empty database for `pack` (in memory for PGlite, a fresh PostgreSQL database
 * otherwise) with the kit's migrations, the pack's, and its content, as the server prepares it.
 */
export async function openTestDatabase(
  pack: Pack,
  options: TestDatabaseOptions = {},
): Promise<PackTestDatabase> {
  const backend = options.backend ?? "postgres";
  const loaded = options.seed ? undefined : await loadPack(pack);
  const content = options.seed ? { hash: "test", seed: options.seed } : loaded?.content;
  const schema = { namespace: pack.id, migrations: pack.migrations, content };
  const postgres = backend === "postgres" ? await createTestDatabase() : undefined;
  const raw = postgres ? postgres.connect() : await openPglite();
  const database = databaseOver(raw, schema, TEST_TIMEOUT_MS);
  const close = async () => {
    await database.close();
    await postgres?.[Symbol.asyncDispose]();
  };
  return {
    backend,
    sql: database.sql,
    async addPerson(sub = `person-${crypto.randomUUID()}`) {
      await database.users.beginSession({ sub });
      return sub;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The sentences the kit answers with in `pack`'s voice, for assertions. */
export function kitSentences(pack: Pick<Pack, "brand">): { reminder: string; failClosed: string } {
  return { reminder: reminderLine(pack.brand), failClosed: failClosedSentence(pack.brand) };
}
