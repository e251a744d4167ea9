/**
 * `deno task new-domain <id>`: starts a new domain pack that works from the first minute — a small
 * catalog people can search and open, a per-person list they can change, placeholders for the
 * rules and the voice — and registers it, so `DOMAIN=<id> deno task dev` starts and the kit's
 * contract tests walk it. Refuses an invalid id or one that is taken.
 *
 * @module
 */
import { StartupError } from "../src/errors.ts";
import { pathExists } from "../src/path_exists.ts";

/** What a pack id must look like: it names the folder, the `DOMAIN` value, the table prefix. */
export const PACK_ID = /^[a-z][a-z0-9_]{1,39}$/;

/** Ids the kit uses itself (its migration namespace). */
const RESERVED = new Set(["core", "kit", "domain", "domains"]);

/** A refusal the script reports as is. */
export class NewDomainError extends StartupError<"new_domain_refused"> {
  /** Creates the error. */
  constructor(message: string) {
    super("new_domain_refused", message);
  }
}

/** Why `id` cannot be a pack id, or `null`. */
export function packIdProblem(id: string): string | null {
  if (!PACK_ID.test(id)) {
    return `"${id}" is not a pack id: use 2-40 lower-case letters, digits and _, starting with a letter (like tutor or support_desk).`;
  }
  if (RESERVED.has(id)) return `"${id}" is reserved by the kit; choose another id.`;
  return null;
}

/** `support_desk` → `supportDesk`. */
function camel(id: string): string {
  return id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `support_desk` → `Support Desk`. */
function title(id: string): string {
  return id.split("_").filter((w) => w !== "").map((w) => w[0].toUpperCase() + w.slice(1))
    .join(" ");
}

/** The files of a new pack, by path relative to the repository root. */
export function packFiles(id: string): Record<string, string> {
  const name = title(id);
  const store = `${camel(id)[0].toUpperCase()}${camel(id).slice(1)}Store`;
  const c = camel(id);
  return {
    [`src/domains/${id}/pack.ts`]: `/**
 * ${name}: a new domain pack. Replace the brand, the catalog and the tools with your domain's; keep
 * the contract (see src/pack/domain_pack.ts and the README's "Make it yours").
 *
 * @module
 */
import { z } from "zod";
import { definePack } from "../../pack/mod.ts";
import { create${store}, type Item, ITEMS_CONTENT, type ${store} } from "./store.ts";
import { ${c}Tools } from "./tools.ts";

/** The ${name} pack. */
export const ${c}Pack = definePack<${store}, readonly Item[]>({
  id: "${id}",
  brand: {
    productName: "${name}",
    serverName: "${id.replaceAll("_", "-")}",
    userNoun: "person",
    memoryName: "${name} memory",
    tagline: "${name} for your AI assistant",
    pitch: "search ${name}'s catalog and keep a list of what matters to you",
    instructions: "${name}: a small catalog and a list for each person. Call begin_session first " +
      "in every new conversation: it returns the rules, the voice, what is saved for this person, " +
      "and the session token the other tools need. If a ${name} tool fails, tell the person the " +
      "session cannot continue right now.",
    scopeDescription: "search the catalog and keep your ${name} memory",
    firstRequest: "ask what is in the catalog",
  },
  guidanceDir: new URL("../../../seed/${id}/", import.meta.url),
  migrations: [
    {
      version: 1,
      name: "catalog and lists",
      sql: \`
CREATE TABLE ${id}_items (
  id text PRIMARY KEY,
  title text NOT NULL,
  body text NOT NULL
);
CREATE TABLE ${id}_list (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  item_id text NOT NULL REFERENCES ${id}_items (id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, item_id)
);\`,
    },
  ],
  // The catalog is fixed per deploy: read once, served from memory, copied into ${id}_items.
  content: ITEMS_CONTENT,
  createStore: create${store},
  // Each with its one example call (the contract tests run them).
  tools: ${c}Tools,
  // Everything kept about one person (user_export), and deleting it (user_forget, in the kit's
  // transaction).
  export: async (store, sub) => ({ list: await store.list(sub) }),
  forget: async (tx, sub) => {
    await tx.query("DELETE FROM ${id}_list WHERE user_id = $1", [sub]);
  },
  session: {
    schema: z.object({ list: z.array(z.string()).describe("Ids on the person's list") }),
    load: async (store, identity) => {
      const list = await store.list(identity.sub);
      return {
        data: { list },
        text: list.length === 0 ? "List: empty." : \`List: \${list.join(", ")}.\`,
      };
    },
  },
});
`,
    [`src/domains/${id}/store.ts`]: `/**
 * What ${name} keeps: its catalog (fixed content, read from memory; the database holds a copy to
 * search) and each person's list, over the kit's SQL client (which bounds every call and fails
 * closed on its own). Key everything personal by the verified subject.
 *
 * @module
 */
import { z } from "zod";
import type { FixedContent, SqlClient } from "../../pack/mod.ts";

const ItemSchema = z.object({
  id: z.string().min(1).max(64),
  title: z.string().min(1),
  body: z.string(),
}).strict();

/** One catalog entry. */
export type Item = z.infer<typeof ItemSchema>;

const ITEMS_FILE = new URL("../../../seed/${id}/items.json", import.meta.url);

/** The catalog: \`seed/${id}/items.json\`, checked when the server starts. */
export const ITEMS_CONTENT: FixedContent<readonly Item[]> = {
  // Named, with what is wrong in it, when it cannot be loaded (missing, not JSON, off the schema).
  file: ITEMS_FILE,
  load: async () => z.array(ItemSchema).parse(JSON.parse(await Deno.readTextFile(ITEMS_FILE))),
  // Runs when the file changed since the database last took a copy: the table takes the file's
  // entries; one no longer in the file goes unless someone's list still holds it.
  seed: async (tx, items) => {
    await tx.query(
      \`DELETE FROM ${id}_items i WHERE NOT (i.id = ANY($1::text[]))
         AND NOT EXISTS (SELECT 1 FROM ${id}_list l WHERE l.item_id = i.id)\`,
      [items.map((i) => i.id)],
    );
    await tx.query(
      \`INSERT INTO ${id}_items (id, title, body)
       SELECT i.id, i.title, i.body FROM jsonb_to_recordset($1::jsonb) AS i(id text, title text, body text)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body\`,
      [JSON.stringify(items)],
    );
  },
};

/** The pack's store. */
export interface ${store} {
  /** Entries whose title or body contains \`query\`. */
  search(query: string): Promise<Item[]>;
  /** One entry, or \`null\`. */
  get(id: string): Promise<Item | null>;
  /** Adds or removes an entry on the person's list; \`false\` if there is no such entry. */
  change(sub: string, action: "add" | "remove", id: string): Promise<boolean>;
  /** The ids on the person's list. */
  list(sub: string): Promise<string[]>;
}

/** Builds the store over the database and the catalog as loaded. */
export function create${store}(sql: SqlClient, items: readonly Item[]): ${store} {
  const byId = new Map(items.map((item) => [item.id, item]));
  return {
    search: (query) =>
      sql.query<Item>(
        \`SELECT id, title, body FROM ${id}_items
          WHERE title ILIKE '%' || $1 || '%' OR body ILIKE '%' || $1 || '%'
          ORDER BY id LIMIT 20\`,
        [query],
      ),
    get: (id) => Promise.resolve(byId.get(id) ?? null),
    async change(sub, action, id) {
      const rows = await sql.query<{ found: boolean }>(
        \`WITH item AS (SELECT id FROM ${id}_items WHERE id = $2),
              added AS (
                INSERT INTO ${id}_list (user_id, item_id)
                SELECT $1, id FROM item WHERE $3 = 'add'
                ON CONFLICT DO NOTHING
              ),
              removed AS (
                DELETE FROM ${id}_list WHERE $3 = 'remove' AND user_id = $1 AND item_id IN (SELECT id FROM item)
              )
         SELECT EXISTS (SELECT 1 FROM item) AS found\`,
        [sub, id, action],
      );
      return rows[0].found;
    },
    async list(sub) {
      const rows = await sql.query<{ item_id: string }>(
        "SELECT item_id FROM ${id}_list WHERE user_id = $1 ORDER BY added_at, item_id",
        [sub],
      );
      return rows.map((r) => r.item_id);
    },
  };
}
`,
    [`src/domains/${id}/tools.ts`]: `/**
 * ${name}'s \`domain_*\` tools. Each declares \`access\` ("read", "write" or "destructive"), its own
 * arguments and answer (the kit adds the \`session\` argument, checks it before \`run\`, refuses
 * arguments the schema does not name, and adds the rules reminder to every answer), and one
 * example call that succeeds for a fresh person on a fresh database (the contract tests run it).
 * It answers with \`reply.success\` (structured content matching its output schema) or
 * \`reply.refused\` (what to fix). The caller is \`identity.sub\`, never an argument.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../pack/mod.ts";
import type { ${store} } from "./store.ts";

const ItemSchema = z.object({ id: z.string(), title: z.string(), body: z.string() });
const itemId = z.string().min(1).max(64).describe("Entry id, e.g. item-1");
const tool = defineTool<${store}>();

/** The pack's tools. */
export const ${c}Tools = [
  tool({
    name: "domain_search",
    title: "Search the catalog",
    description: "Entries of the ${name} catalog whose title or text contains the words.",
    access: "read",
    inputSchema: z.object({ query: z.string().max(200) }),
    outputSchema: z.object({ query: z.string(), results: z.array(ItemSchema) }),
    example: { query: "first" },
    run: async ({ query }, { store, reply }) => {
      const results = await store.search(query.trim());
      return reply.success(
        { query, results },
        results.length === 0
          ? \`Nothing matches "\${query}".\`
          : results.map((r) => \`[\${r.id}] \${r.title}\`).join("\\n"),
      );
    },
  }),
  tool({
    name: "domain_get_item",
    title: "Open an entry",
    description: "One entry of the catalog by id, as found by domain_search.",
    access: "read",
    inputSchema: z.object({ id: itemId }),
    outputSchema: z.object({ item: ItemSchema }),
    example: { id: "item-1" },
    run: async ({ id }, { store, reply }) => {
      const item = await store.get(id);
      if (!item) return reply.refused(\`there is no entry "\${id}". Find ids with domain_search.\`);
      return reply.success({ item }, \`[\${item.id}] \${item.title}\\n\${item.body}\`);
    },
  }),
  tool({
    name: "domain_do_action",
    title: "Change my list",
    description: "\`add\` puts an entry on the person's list, \`remove\` takes it off.",
    access: "write",
    inputSchema: z.object({ action: z.enum(["add", "remove"]), id: itemId }),
    outputSchema: z.object({ action: z.enum(["add", "remove"]), id: z.string() }),
    example: { action: "add", id: "item-1" },
    run: async ({ action, id }, { store, identity, reply }) => {
      if (!(await store.change(identity.sub, action, id))) {
        return reply.refused(\`there is no entry "\${id}". Find ids with domain_search.\`);
      }
      return reply.success({ action, id }, \`\${action === "add" ? "Added" : "Removed"}: \${id}.\`);
    },
  }),
];
`,
    [`seed/${id}/rules.md`]: `# How ${name} works

<!-- kit:placeholder — Write the house rules here, in words the model can relay to the person:
what the assistant may do with these tools, what it must confirm first, the limits and prices or
fees if there are any, what it must never do (ask for secrets, guess other people's data). The
model reads this at begin_session and on config_get_rules; state every rule your tools enforce in
code. Comments never reach the model. Delete this comment once the rules are yours: until then the
contract tests fail and a production start is refused. -->

- Start every new conversation with \`begin_session\`, and pass its session token to every other
  ${name} tool.
- Answer only from what the ${name} tools return; when nothing fits, say so.

## When something fails

If \`begin_session\` cannot be reached, or any ${name} tool returns an error, tell the person
plainly that the session cannot continue right now. Do not answer from your own knowledge instead.
The one exception is an error that says your own request was refused and why: correct that request
once, and if it still fails, tell the person what went wrong.
`,
    [`seed/${id}/persona.md`]: `# The voice

<!-- kit:placeholder — Write who the assistant is here: its role, its tone, how long its answers
are, what it asks before acting. Two short paragraphs are plenty. Delete this comment when done. -->

You are ${name}'s assistant: friendly, brief and precise.
`,
    [`seed/${id}/items.json`]: JSON.stringify(
      [
        {
          id: "item-1",
          title: "The first entry",
          body: "Replace these entries with your catalog.",
        },
        { id: "item-2", title: "A second entry", body: "Each has an id, a title and a body." },
        {
          id: "item-3",
          title: "A third entry",
          body: "Edit this file and restart to change them.",
        },
      ],
      null,
      2,
    ) + "\n",
    [`src/domains/${id}/tools_test.ts`]: `/**
 * ${name}'s tools through a real MCP client, against a real server on a free port, on both
 * backends (src/pack/testing.ts: startPackServer serves the pack with its own data directory and
 * database; server.chat signs a person in and connects a client; chat.call returns
 * { isError, text, data }; server.personWithData is a person its write examples have run for).
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { BACKENDS, startPackServer } from "../../pack/testing.ts";
import { ${c}Pack } from "./pack.ts";

for (const backend of BACKENDS) {
  Deno.test(\`${id} tools on \${backend}: search, open, keep a list\`, async () => {
    await using server = await startPackServer(${c}Pack, { backend });
    await using chat = await server.chat("${id}-tester");
    const { session } = await chat.begin();

    const found = await chat.call("domain_search", { session, query: "second" });
    assert(!found.isError, found.text);
    assertEquals(found.data.results.map((r: { id: string }) => r.id), ["item-2"]);

    const item = await chat.call("domain_get_item", { session, id: "item-2" });
    assertStringIncludes(item.text, "A second entry");
    const missing = await chat.call("domain_get_item", { session, id: "nope" });
    assert(missing.isError);
    assertStringIncludes(missing.text, "Request refused");

    const added = await chat.call("domain_do_action", { session, action: "add", id: "item-2" });
    assert(!added.isError, added.text);
    await using again = await server.chat("${id}-tester");
    const { result } = await again.begin();
    assertEquals(result.data.domain.list, ["item-2"], "the list comes back in a new chat");

    // Someone whose write examples ran: what they kept, and user_forget leaving nothing of them.
    const { chat: ann, session: annSession } = await server.personWithData("${id}-ann");
    await using _ann = ann;
    assertEquals((await ann.begin()).result.data.domain.list, ["item-1"]);
    const first = await ann.call("user_forget", { session: annSession });
    const code = first.data.confirmation.code;
    assert(!(await ann.call("user_forget", { session: annSession, confirmation: code })).isError);
    assertEquals(await server.rowsMentioning("${id}-ann"), {});
  });
}
`,
    [`src/domains/${id}/store_test.ts`]: `/**
 * ${name}'s store on both backends (the kit's contract test walks its tools): a database with the
 * kit's and the pack's migrations and its catalog, from src/pack/testing.ts.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { BACKENDS, openTestDatabase } from "../../pack/testing.ts";
import { ${c}Pack } from "./pack.ts";
import { create${store}, ITEMS_CONTENT } from "./store.ts";

for (const backend of BACKENDS) {
  Deno.test(\`${id} store on \${backend}: search, get, a person's list\`, async () => {
    await using database = await openTestDatabase(${c}Pack, { backend });
    const store = create${store}(database.sql, await ITEMS_CONTENT.load());
    assertEquals((await store.search("first")).map((i) => i.id), ["item-1"]);
    assertEquals((await store.get("item-2"))?.title, "A second entry");
    assertEquals(await store.get("nope"), null);
    const ann = await database.addPerson("ann");
    assertEquals(await store.change(ann, "add", "item-3"), true);
    assertEquals(await store.change(ann, "add", "nope"), false);
    assertEquals(await store.list(ann), ["item-3"]);
    await store.change(ann, "remove", "item-3");
    assertEquals(await store.list(ann), []);
  });
}
`,
  };
}

/** The registry line that loads the pack `id`. */
export function registryEntry(id: string): string {
  return `  ${id}: async () => (await import("./${id}/pack.ts")).${camel(id)}Pack,`;
}

/** Adds the pack's one entry to the registry's source. */
export function registerIn(source: string, id: string): string {
  const entry = new RegExp(`^\\s*${id}\\s*:`, "m");
  if (entry.test(source)) throw new NewDomainError(`the registry already has a pack "${id}".`);
  const table = /(export const PACKS\b[^\n]*\{\n[\s\S]*?)\n\};/;
  if (!table.test(source)) {
    throw new NewDomainError(
      "src/domains/registry.ts no longer has the shape this script edits; add the pack by hand:\n" +
        registryEntry(id),
    );
  }
  return source.replace(table, (_, entries) => `${entries}\n${registryEntry(id)}\n};`);
}

/** Writes the new pack under `root` and registers it; returns the files written. */
export async function createDomain(root: string, id: string): Promise<string[]> {
  const problem = packIdProblem(id);
  if (problem) throw new NewDomainError(problem);
  const registryPath = `${root}/src/domains/registry.ts`;
  const registry = await Deno.readTextFile(registryPath);
  for (const dir of [`src/domains/${id}`, `seed/${id}`]) {
    if (await pathExists(`${root}/${dir}`)) {
      throw new NewDomainError(`${dir} already exists: pack "${id}" is taken; choose another id.`);
    }
  }
  const updated = registerIn(registry, id);
  const files = packFiles(id);
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text, { createNew: true });
  }
  await Deno.writeTextFile(registryPath, updated);
  return [...Object.keys(files), "src/domains/registry.ts"];
}

if (import.meta.main) {
  const [id, ...rest] = Deno.args;
  if (id === undefined || rest.length > 0) {
    console.error("usage: deno task new-domain <id>   (e.g. deno task new-domain support_desk)");
    Deno.exit(2);
  }
  const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
  try {
    const files = await createDomain(root, id);
    // Canonical formatting, so `deno fmt --check` passes on the new files.
    await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", ...files.map((f) => `${root}/${f}`)],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    console.log(`Created pack "${id}":\n${files.map((f) => `  ${f}`).join("\n")}

Next:
  1. seed/${id}/rules.md and persona.md — the rules and the voice, in words the model can relay;
     delete their kit:placeholder comments (until then the contract test fails, on that alone).
  2. src/domains/${id}/pack.ts — the brand (names, instructions, consent text); the migrations
     (tables prefixed ${id}_, personal rows keyed by user_id REFERENCES users(id)).
  3. src/domains/${id}/tools.ts and store.ts — your domain_* tools and the queries behind them;
     each tool keeps its one example call (the contract tests run them).
  4. seed/${id}/items.json — your catalog (or replace the seed with your own content).
  5. src/domains/${id}/*_test.ts — your store and tool tests, beside the code they cover; they
     import src/pack/testing.ts (a real server, a real MCP client, a test database, both backends).
Then:  DOMAIN=${id} deno task dev     and     deno task test
See README "Make it yours" for the invariants the kit keeps for you.`);
  } catch (error) {
    if (!(error instanceof NewDomainError)) throw error;
    console.error(`new-domain: ${error.message}`);
    Deno.exit(1);
  }
}
