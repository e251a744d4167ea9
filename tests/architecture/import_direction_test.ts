/**
 * The README's claims about who imports whom ("Layout" and "Make it yours"), held on the code:
 *
 * - a pack (`src/domains/<id>/**`) imports only `src/pack/mod.ts` (its tests also
 *   `src/pack/testing.ts` and `@std/assert`), zod, and its own files;
 * - `src/pack/` imports nothing of the kit — `testing.ts` excepted, the one file that wires the
 *   kit for a pack's tests, and only tests import it;
 * - the kit never imports a pack: `main.ts` hands the server the pack registry;
 * - nothing imports upward: the kit's folders stand in the layers below, each importing only its
 *   own layer and the ones under it, and no files import each other in a loop.
 *
 * Imports are read from the source (static imports and exports at the start of a line, and
 * `import("…")` with a literal name), so a JSDoc example's import is not one.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("../../", import.meta.url);

/**
 * The kit's layers, top down, as the README's layout describes them: start-up, the Hono app, what
 * is served (/mcp, the landing page), the tool machinery, the services tools and routes use, the
 * stores and token verification, the ground every layer stands on, and the pack contract — a
 * leaf. "Upward" is an import into an earlier entry of this list.
 */
const LAYERS: readonly [string, readonly string[]][] = [
  ["start-up", ["main.ts", "src/server.ts"]],
  ["the app", ["src/app.ts"]],
  ["what is served", ["src/mcp/", "src/landing/"]],
  ["the tools", ["src/tools/"]],
  ["services", [
    "src/signin/",
    "src/session/",
    "src/health/",
    "src/reach/",
    "src/observability/",
    "src/guidance.ts",
  ]],
  ["stores and verification", ["src/auth/", "src/store/", "src/kv/"]],
  ["ground", [
    "src/config.ts",
    "src/errors.ts",
    "src/http/",
    "src/compat/",
    "src/deadline.ts",
    "src/data_dir.ts",
    "src/path_exists.ts",
    "src/tracing.ts",
    "src/version.ts",
  ]],
  ["the pack contract", ["src/pack/"]],
];

const TESTING = "src/pack/testing.ts";
const CONTRACT = "src/pack/mod.ts";

/** One import: the file that makes it, what it names, and the repository file that resolves to. */
interface Import {
  from: string;
  specifier: string;
  /** Repository-relative path for a relative specifier; `undefined` for a bare one (`zod`). */
  to?: string;
}

/** `import … from "x"`, `export { … } from "x"`, `export * from "x"`, `import "x"`, each from a line's start. */
const STATIC = new RegExp(
  String.raw`^(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,?\s*)?` +
    String.raw`(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)?\s*from\s*["']([^"']+)["']` +
    String.raw`|^import\s*["']([^"']+)["']`,
  "gm",
);
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** What `source` (the file `path`) imports. */
function importsIn(path: string, source: string): Import[] {
  const specifiers = [...source.matchAll(STATIC)].map((m) => m[1] ?? m[2]);
  for (const line of source.split("\n")) {
    if (/^\s*(\*|\/\/|\/\*)/.test(line)) continue;
    specifiers.push(...[...line.matchAll(DYNAMIC)].map((m) => m[1]));
  }
  return specifiers.map((specifier) => {
    if (!specifier.startsWith(".")) return { from: path, specifier };
    const url = new URL(specifier, new URL(path, ROOT));
    return { from: path, specifier, to: url.pathname.slice(ROOT.pathname.length) };
  });
}

async function* typeScriptFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) yield* typeScriptFiles(`${path}/`);
    else if (entry.isFile && path.endsWith(".ts")) yield path;
  }
}

const isTest = (path: string) => path.endsWith("_test.ts") || path.startsWith("tests/");

/** Every import of every TypeScript file under `src/`, `scripts/`, `bench/`, and `main.ts`. */
async function allImports(): Promise<Import[]> {
  const found: Import[] = [];
  for (const dir of ["src/", "scripts/", "bench/"]) {
    for await (const path of typeScriptFiles(dir)) {
      found.push(...importsIn(path, await Deno.readTextFile(new URL(path, ROOT))));
    }
  }
  found.push(...importsIn("main.ts", await Deno.readTextFile(new URL("main.ts", ROOT))));
  return found;
}

/** The pack a path belongs to (`src/domains/<id>/…`), if any. */
function packOf(path: string | undefined): string | undefined {
  return path?.match(/^src\/domains\/([^/]+)\//)?.[1];
}

function layerOf(path: string): number {
  return LAYERS.findIndex(([, members]) =>
    members.some((m) => m.endsWith("/") ? path.startsWith(m) : path === m)
  );
}

const shown = (i: Import) => `${i.from} imports "${i.specifier}"`;

const imports = await allImports();

Deno.test("import direction: the README's layout holds", async (t) => {
  await t.step("the imports are read (a check of this test itself)", () => {
    const of = (file: string) => imports.filter((i) => i.from === file).map((i) => i.to);
    assert(of("src/server.ts").length > 20, "src/server.ts: imports not read");
    assert(of("src/domains/registry.ts").includes("src/domains/reading_room/pack.ts"));
    assert(!of("src/pack/mod.ts").includes("src/pack/testing.ts"));
    assert(imports.some((i) => packOf(i.from) !== undefined && i.to === CONTRACT));
  });

  await t.step(
    "a pack imports only src/pack/mod.ts (its tests also testing.ts), zod and its own files",
    () => {
      const wrong = imports.filter((i) => {
        const pack = packOf(i.from);
        if (pack === undefined) return false;
        if (i.to === undefined) {
          return !(i.specifier === "zod" || (isTest(i.from) && i.specifier === "@std/assert"));
        }
        if (packOf(i.to) === pack) return false;
        return !(i.to === CONTRACT || (isTest(i.from) && i.to === TESTING));
      });
      assertEquals(
        wrong.map(shown),
        [],
        "a pack reaches the kit only through src/pack/mod.ts (and its tests through " +
          "src/pack/testing.ts): export what it needs from there, or keep it in the pack",
      );
    },
  );

  await t.step("src/pack/ imports nothing of the kit (testing.ts excepted)", () => {
    const wrong = imports.filter((i) =>
      i.from.startsWith("src/pack/") && i.from !== TESTING && !isTest(i.from) &&
      (i.to === undefined ? i.specifier !== "zod" : !i.to.startsWith("src/pack/"))
    );
    assertEquals(wrong.map(shown), [], "the contract is a leaf: the kit implements its types");
  });

  await t.step("only tests import src/pack/testing.ts", () => {
    const wrong = imports.filter((i) => i.to === TESTING && !isTest(i.from));
    assertEquals(
      wrong.map(shown),
      [],
      "testing.ts wires the kit and the test-only packages (the MCP client): nothing that runs " +
        "in the server may load it",
    );
  });

  await t.step("the kit never imports a pack; main.ts hands it the registry", () => {
    const wrong = imports.filter((i) => {
      if (!i.to?.startsWith("src/domains/") || i.from.startsWith("src/domains/")) return false;
      if (i.from === "main.ts") return i.to !== "src/domains/registry.ts";
      return i.from.startsWith("src/") && !isTest(i.from);
    });
    assertEquals(wrong.map(shown), [], "the kit names no pack: it reads the one it is given");
    const registry = imports.filter((i) => i.from === "src/domains/registry.ts").filter((i) =>
      !(i.to === CONTRACT || i.to === "src/errors.ts" || /^src\/domains\/[^/]+\/pack\.ts$/.test(
        i.to ?? "",
      ))
    );
    assertEquals(registry.map(shown), [], "the registry only lists the packs");
  });

  await t.step("nothing in the kit imports upward", () => {
    const kit = imports.filter((i) =>
      (i.from === "main.ts" || i.from.startsWith("src/")) && !isTest(i.from) &&
      packOf(i.from) === undefined && i.from !== "src/domains/registry.ts" && i.from !== TESTING
    );
    const unplaced = [...new Set(kit.map((i) => i.from))].filter((f) => layerOf(f) < 0);
    assertEquals(unplaced, [], "a kit file outside every layer: add it to LAYERS in this test");
    const wrong = kit.filter((i) => {
      if (i.to === undefined || i.to.startsWith("src/domains/")) return false;
      if (/^(tests|scripts|bench)\//.test(i.to)) return true;
      const to = layerOf(i.to);
      return to >= 0 && to < layerOf(i.from);
    }).map((i) =>
      `${shown(i)}: "${LAYERS[layerOf(i.from)][0]}" stands below ${
        layerOf(i.to!) >= 0 ? `"${LAYERS[layerOf(i.to!)][0]}"` : i.to
      }`
    );
    assertEquals(wrong, [], "move what both need down a layer, or pass it in from above");
  });

  await t.step("no files import each other in a loop", () => {
    const graph = new Map<string, string[]>();
    for (const i of imports) {
      if (i.to === undefined || isTest(i.from)) continue;
      graph.set(i.from, [...(graph.get(i.from) ?? []), i.to]);
    }
    const loops: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        loops.push([...path.slice(path.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    assertEquals(loops, [], "data flows one way");
  });
});
