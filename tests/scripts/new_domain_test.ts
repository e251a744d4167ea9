/**
 * `deno task new-domain`: refuses bad and taken ids, registers the pack with one entry, and what it
 * generates passes the kit's contract tests and starts — checked in a temporary copy of the
 * repository, so this one stays clean.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { NewDomainError, packIdProblem, registerIn } from "../../scripts/new_domain.ts";
import { forEachLine } from "../helpers/process.ts";
import { createTestDatabase } from "../helpers/postgres.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("new-domain: pack ids", () => {
  for (const good of ["tutor", "support_desk", "docs2"]) assertEquals(packIdProblem(good), null);
  for (
    const bad of ["", "x", "Tutor", "support-desk", "2fast", "_x", "a b", "core", "a".repeat(41)]
  ) {
    assert(packIdProblem(bad), `accepted ${JSON.stringify(bad)}`);
  }
});

Deno.test("new-domain: the registry gains one entry that loads the pack", async () => {
  const source = await Deno.readTextFile(`${ROOT}/src/domains/registry.ts`);
  const updated = registerIn(source, "support_desk");
  const added = updated.split("\n").filter((line) => !source.split("\n").includes(line));
  assertEquals(added, [
    '  support_desk: async () => (await import("./support_desk/pack.ts")).supportDeskPack,',
  ]);
  assertThrows(() => registerIn(updated, "support_desk"), NewDomainError, "already has");
  assertThrows(() => registerIn("export const X = 1;\n", "x_y"), NewDomainError, "by hand");
});

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

async function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text: text.replace(ANSI, "") };
}

/** The working tree's files (tracked, and new ones not ignored) copied to a temporary directory. */
async function copyOfRepository(): Promise<string> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const dir = await Deno.makeTempDir({ prefix: "new-domain-" });
  const files = new TextDecoder().decode(listed.stdout).split("\0").filter((f) => f !== "");
  for (const file of files) {
    const slash = file.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(`${dir}/${file.slice(0, slash)}`, { recursive: true });
    try {
      await Deno.copyFile(`${ROOT}/${file}`, `${dir}/${file}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // deleted in the working tree
    }
  }
  await Deno.symlink(`${ROOT}/node_modules`, `${dir}/node_modules`);
  return dir;
}

Deno.test("new-domain: a generated pack passes the contract tests and starts", async (t) => {
  const dir = await copyOfRepository();
  try {
    await t.step("creates the pack, registers it and says what to edit next", async () => {
      const made = await run(dir, ["task", "new-domain", "demo_desk"]);
      assertEquals(made.code, 0, made.text);
      for (
        const path of [
          "src/domains/demo_desk/pack.ts",
          "seed/demo_desk/rules.md",
          "seed/demo_desk/persona.md",
          "seed/demo_desk/items.json",
          "src/domains/demo_desk/store_test.ts",
          "Next:",
          "DOMAIN=demo_desk deno task dev",
        ]
      ) assertStringIncludes(made.text, path);
      assertStringIncludes(
        await Deno.readTextFile(`${dir}/seed/demo_desk/rules.md`),
        "Write the house rules here",
      );
      const registry = await Deno.readTextFile(`${dir}/src/domains/registry.ts`);
      assertStringIncludes(registry, '(await import("./demo_desk/pack.ts")).demoDeskPack');
    });

    await t.step("refuses a taken id and an invalid one, changing nothing", async () => {
      const registry = await Deno.readTextFile(`${dir}/src/domains/registry.ts`);
      const taken = await run(dir, ["task", "new-domain", "demo_desk"]);
      assertEquals(taken.code, 1);
      assertStringIncludes(taken.text, "is taken");
      const booking = await run(dir, ["task", "new-domain", "booking"]);
      assertEquals(booking.code, 1);
      const invalid = await run(dir, ["task", "new-domain", "Demo-Desk"]);
      assertEquals(invalid.code, 1);
      assertStringIncludes(invalid.text, "not a pack id");
      assertEquals(await Deno.readTextFile(`${dir}/src/domains/registry.ts`), registry);
    });

    const contract = (...extra: string[]) =>
      run(dir, [
        "test",
        "--config",
        "deno.test.json",
        "--allow-all",
        "--cert",
        "tests/fixtures/tls/ca.pem",
        "--filter",
        "demo_desk",
        "tests/domains/pack_contract_test.ts",
        ...extra,
      ]);
    const edit = async (file: string, from: string | RegExp, to: string) => {
      const text = await Deno.readTextFile(`${dir}/${file}`);
      const edited = text.replace(from, to);
      assert(edited !== text, `${file}: nothing to edit`);
      await Deno.writeTextFile(`${dir}/${file}`, edited);
    };

    await t.step("as generated, the contract test names the placeholder guidance", async () => {
      const tested = await contract();
      assert(tested.code !== 0, tested.text);
      assertStringIncludes(tested.text, "generator's placeholder");
      assertStringIncludes(tested.text, "seed/demo_desk/rules.md");
    });

    await t.step(
      "with its guidance written, the contract and its own tests pass, formatted and lint-clean",
      async () => {
        for (const file of ["rules.md", "persona.md"]) {
          await edit(`seed/demo_desk/${file}`, /<!-- kit:placeholder[\s\S]*?-->\n*/, "");
        }
        const generated = ["src/domains/demo_desk", "seed/demo_desk"];
        const fmt = await run(dir, ["fmt", "--check", ...generated]);
        assertEquals(fmt.code, 0, fmt.text);
        const lint = await run(dir, ["lint", ...generated]);
        assertEquals(lint.code, 0, lint.text);
        const tested = await contract("src/domains/demo_desk/");
        assertEquals(tested.code, 0, tested.text);
        assertStringIncludes(tested.text, "pack contract: demo_desk ... ok");
        // The contract, and its store and tool tests on each backend.
        assertStringIncludes(tested.text, "5 passed");
      },
    );

    await t.step("its tests import nothing of the kit but src/pack/", async () => {
      const imports = await run(dir, [
        "test",
        "--config",
        "deno.test.json",
        "--allow-read",
        "tests/architecture/import_direction_test.ts",
      ]);
      assertEquals(imports.code, 0, imports.text);
    });

    await t.step("a read tool that writes is named", async () => {
      const tools = "src/domains/demo_desk/tools.ts";
      const original = await Deno.readTextFile(`${dir}/${tools}`);
      await edit(
        tools,
        "const item = await store.get(id);",
        'const item = await store.get(id);\n      await store.change(identity.sub, "add", id);',
      );
      await edit(
        tools,
        "run: async ({ id }, { store, reply }) => {",
        "run: async ({ id }, { store, identity, reply }) => {",
      );
      const tested = await contract();
      assert(tested.code !== 0, tested.text);
      assertStringIncludes(tested.text, 'domain_get_item is declared access: "read" but writes');
      await Deno.writeTextFile(`${dir}/${tools}`, original);
    });

    await t.step(
      "a list that forgets its person filter and an export of everyone's rows still hand over only the caller's",
      async () => {
        // Both would hand another person's rows over, but the database shows a pack's SQL only
        // the caller's rows of a personal table: the contract's cross-person probes pass.
        const store = "src/domains/demo_desk/store.ts";
        await edit(
          store,
          /"SELECT item_id FROM demo_desk_list WHERE user_id = \$1 ORDER BY added_at, item_id",\s*\[sub\],/,
          '"SELECT item_id FROM demo_desk_list ORDER BY added_at, item_id",',
        );
        await edit(
          "src/domains/demo_desk/pack.ts",
          "export: async (store, sub) => ({ list: await store.list(sub) }),",
          'export: async (store) => ({ list: await store.list("") }),',
        );
        const tested = await contract();
        assertEquals(tested.code, 0, tested.text);
        assertStringIncludes(tested.text, "pack contract: demo_desk ... ok");
      },
    );

    await t.step("DOMAIN=demo_desk deno task dev starts", async () => {
      const data = await Deno.makeTempDir({ prefix: "new-domain-data-" });
      const child = new Deno.Command(Deno.execPath(), {
        args: ["task", "dev"],
        cwd: dir,
        env: { DOMAIN: "demo_desk", PORT: "0", DATA_DIR: data },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const started = Promise.withResolvers<string>();
      const seen: string[] = [];
      const watch = (stream: ReadableStream<Uint8Array>) =>
        forEachLine(stream, (line) => {
          seen.push(line);
          if (/listening on/i.test(line)) started.resolve(line);
        });
      const done = Promise.all([watch(child.stdout), watch(child.stderr)]);
      const timer = setTimeout(() => started.reject(new Error(seen.join("\n"))), 30_000);
      try {
        assertStringIncludes(await started.promise, "listening");
        assertStringIncludes(seen.join("\n"), "demo-desk");
      } finally {
        clearTimeout(timer);
        child.kill("SIGTERM");
        await child.status;
        await done.catch(() => {});
        await Deno.remove(data, { recursive: true });
      }
    });

    // What `deno task dev` prints and exits with, given `env` (it is stopped once it listens).
    const dev = async (env: Record<string, string>) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["task", "dev"],
        cwd: dir,
        env: { DOMAIN: "demo_desk", PORT: "0", ...env },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const seen: string[] = [];
      const watch = (stream: ReadableStream<Uint8Array>) =>
        forEachLine(stream, (line) => {
          seen.push(line.replace(ANSI, ""));
          if (/listening on/i.test(line)) child.kill("SIGTERM");
        });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const [status] = await Promise.all([child.status, watch(child.stdout), watch(child.stderr)]);
      clearTimeout(timer);
      return { code: status.code, text: seen.join("\n") };
    };

    await t.step(
      "an edited shipped migration stops the start, naming pack and version",
      async () => {
        await using db = await createTestDatabase();
        const data = await Deno.makeTempDir({ prefix: "new-domain-data-" });
        const env = { DATA_DIR: data, DATABASE_URL: db.url, DATABASE_WS_PROXY: db.relay.address };
        try {
          const first = await dev(env);
          assertStringIncludes(first.text, "listening on");
          await edit(
            "src/domains/demo_desk/pack.ts",
            "  body text NOT NULL\n);",
            "  body text NOT NULL,\n  tags text[]\n);",
          );
          const second = await dev(env);
          assertEquals(second.code, 1, second.text);
          assertStringIncludes(second.text, "Cannot start (migration_drift)");
          assertStringIncludes(second.text, 'pack "demo_desk"');
          assertStringIncludes(second.text, 'version 1 ("catalog and lists")');
        } finally {
          await Deno.remove(data, { recursive: true });
        }
      },
    );

    await t.step("a misnamed tool stops the start with exit code 1, naming it", async () => {
      await edit(
        "src/domains/demo_desk/tools.ts",
        'name: "domain_search"',
        'name: "search_catalog"',
      );
      const data = await Deno.makeTempDir({ prefix: "new-domain-data-" });
      try {
        const started = await dev({ DATA_DIR: data });
        assertEquals(started.code, 1, started.text);
        assertStringIncludes(started.text, "Cannot start (pack_contract)");
        assertStringIncludes(started.text, '"search_catalog" must be named domain_<name>');
      } finally {
        await Deno.remove(data, { recursive: true });
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
