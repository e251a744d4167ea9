import { assertEquals, assertStringIncludes } from "@std/assert";
import { decodeJwt } from "jose";
import { inspectorArgs } from "../../scripts/inspect.ts";
import { readIssuerRecord } from "../../src/signin/issuer_record.ts";
import { baseEnv } from "../helpers/process.ts";
import { startTestServer } from "../helpers/server.ts";

Deno.test("deno task inspect points the Inspector at the server its DATA_DIR recorded", async (t) => {
  await t.step("before any server started there it says what to do", async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "inspect"],
        env: { ...baseEnv(), DATA_DIR: dataDir },
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).output();
      assertEquals(code, 1);
      assertStringIncludes(new TextDecoder().decode(stderr), "deno task dev");
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
  await t.step("the web UI gets the server's URL and a token it accepts", async () => {
    await using server = await startTestServer();
    const record = (await readIssuerRecord(server.config.dataDir))!;
    assertEquals(record.resourceUrl, server.mcpUrl);
    const token = await server.mint({ sub: "inspector" });
    const args = inspectorArgs(record, token);
    assertEquals(args.slice(3, 5), ["--web", "--transport"]);
    assertEquals(args[args.indexOf("--server-url") + 1], server.mcpUrl);
    const header = args[args.indexOf("--header") + 1];
    assertEquals(decodeJwt(header.replace("Authorization: Bearer ", "")).iss, record.issuer);
  });
});
