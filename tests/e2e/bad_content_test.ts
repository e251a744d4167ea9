/**
 * Fixed content that cannot be loaded stops the start naming the pack, the file and what is wrong
 * in it (`lessons[0].title: expected string, received number`), not a schema library's dump.
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { z } from "zod";
import { describeStartupError, StartupError } from "../../src/errors.ts";
import { definePack, type Pack } from "../../src/pack/mod.ts";
import { probeTool } from "../helpers/probe_pack.ts";
import { startTestServer } from "../helpers/server.ts";

const LESSONS = new URL("../fixtures/bad_content/lessons.json", import.meta.url);

const LessonsSchema = z.object({
  lessons: z.array(z.object({ id: z.string(), title: z.string() }).strict()),
});

/** A tutor pack whose content is `read` with a plain `parse`, naming `file` when given. */
function tutorPack(read: URL, file?: URL): Pack {
  return definePack<Record<string, never>, z.infer<typeof LessonsSchema>>({
    id: "tutor",
    brand: {
      productName: "Tutor",
      serverName: "tutor",
      userNoun: "learner",
      memoryName: "tutor's notebook",
      tagline: "A pack for tests",
      pitch: "teach",
      instructions: "Tutor: call begin_session first.",
      scopeDescription: "use the tutor",
      firstRequest: "ask for a lesson",
    },
    guidanceDir: new URL("../fixtures/probe_pack/", import.meta.url),
    migrations: [],
    content: {
      file,
      load: async () => LessonsSchema.parse(JSON.parse(await Deno.readTextFile(read))),
      seed: () => Promise.resolve(),
    },
    createStore: () => ({}),
    tools: [probeTool()],
    export: () => Promise.resolve({}),
    forget: () => Promise.resolve(),
  });
}

/** What the start prints for `pack` (it must fail). */
async function startFailure(pack: Pack): Promise<string> {
  const error = await assertRejects(() => startTestServer({}, { database: "pglite", pack }));
  assert(error instanceof StartupError, String(error));
  return describeStartupError(error);
}

Deno.test("content that cannot be loaded stops the start naming pack, file and path", async (t) => {
  await t.step("off its schema: every issue, one readable line each", async () => {
    const said = await startFailure(tutorPack(LESSONS, LESSONS));
    const lines = said.split("\n");
    assertEquals(lines[0], "Cannot start (invalid_content):");
    assertEquals(
      lines[1],
      "The tutor pack's content file tests/fixtures/bad_content/lessons.json: " +
        "lessons[0].title: expected string, received number",
    );
    assertStringIncludes(said, "\n  lessons[1].title: expected string, received undefined\n");
    assertStringIncludes(said, '\n  lessons[1]: Unrecognized key: "titel"\n');
    assertStringIncludes(said, "Fix the content");
    assert(!said.includes("ZodError") && !said.includes('"path"'), said);
  });

  await t.step("not JSON", async () => {
    const broken = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(broken, '{ "lessons": [');
      const said = await startFailure(
        tutorPack(new URL(`file://${broken}`), new URL(`file://${broken}`)),
      );
      assertStringIncludes(said, `The tutor pack's content file ${broken}: not valid JSON (`);
    } finally {
      await Deno.remove(broken);
    }
  });

  await t.step("a file the pack did not declare: the pack and the path still", async () => {
    const said = await startFailure(tutorPack(LESSONS));
    assertStringIncludes(said, "The tutor pack's content (read by its content.load; declare");
    assertStringIncludes(said, "lessons[0].title: expected string, received number");
  });
});
