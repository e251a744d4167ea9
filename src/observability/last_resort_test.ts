import { assertEquals } from "@std/assert";
import { installLastResortGuard } from "./last_resort.ts";

Deno.test("the last-resort guard logs a stray rejection by name only and the process goes on", async () => {
  const lines: string[] = [];
  installLastResortGuard({ sink: (line) => lines.push(line) });
  try {
    // A rejection nobody handles, carrying request-like data in its message.
    Promise.reject(new TypeError("Invalid URL: 'http://secret-token@a:b/'"));
    queueMicrotask(() => {
      throw new RangeError("thrown from a callback: Bearer abc.def.ghi");
    });
    for (let i = 0; i < 50 && lines.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const logged = lines.map((line) => JSON.parse(line));
    assertEquals(logged.map((l) => [l.msg, l.name]).sort(), [
      ["uncaught exception", "RangeError"],
      ["unhandled rejection", "TypeError"],
    ]);
    for (const line of lines) {
      assertEquals(/secret|Bearer|Invalid URL/.test(line), false, `leaked: ${line}`);
    }
  } finally {
    installLastResortGuard({ sink: (line) => console.error(line) });
  }
});
