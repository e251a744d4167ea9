/**
 * The doctor's form reader (`scripts/doctor/forms.ts`): what it reads of a sign-in page, and that
 * a page built against backtracking parsers costs it no more than reading the page.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { formsOf } from "../../../scripts/doctor/forms.ts";

Deno.test("formsOf reads each form's action and named inputs", async (t) => {
  await t.step("the kit's sign-in page", () => {
    const page = `<form method="post" action="/authorize/signin">
      <input type="hidden" name="request" value="r-1">
      <input type="hidden" name="csrf" value="a&amp;b&quot;c">
      <label for="identity">Name</label>
      <input type="text" id="identity" name="identity" autocomplete="username" required>
      <button class="primary" type="submit">Continue</button></form>`;
    assertEquals(formsOf(page), [{
      action: "/authorize/signin",
      fields: { request: "r-1", csrf: 'a&b"c', identity: "" },
    }]);
  });
  await t.step("two forms, in order, each with only its own inputs", () => {
    const page = `<input name="outside" value="x">
      <form action="/a"><input name="decision" value="deny"></form>
      <input name="between" value="y">
      <form action="/b"><input name="decision" value="allow"></form>`;
    assertEquals(formsOf(page), [
      { action: "/a", fields: { decision: "deny" } },
      { action: "/b", fields: { decision: "allow" } },
    ]);
  });
  await t.step("quoting, case and references as browsers read them", () => {
    const page = `<FORM ACTION='/go'><INPUT NAME=a VALUE=1><input name='b' value="it&#39;s">
      <input name="c" value="&#x3C;&lt;&GT;&nope;"><input name="a" value="second"></form>`;
    assertEquals(formsOf(page), [{
      action: "/go",
      fields: { a: "1", b: "it's", c: "<<>&nope;" },
    }]);
  });
  await t.step("not a form, not an input; no action; an unnamed input", () => {
    assertEquals(formsOf(`<formal action="/x"><inputs name="a"></formal>`), []);
    assertEquals(formsOf(`<form><input value="no name"><input name="n"></form>`), [
      { action: "", fields: { n: "" } },
    ]);
  });
  await t.step('"</form" inside a quoted value does not close the form', () => {
    const page =
      `<form action="/x"><input name="a" value="</form>"><input name="b" value="2"></form>`;
    assertEquals(formsOf(page), [{ action: "/x", fields: { a: "</form>", b: "2" } }]);
  });
  await t.step("an unclosed tag or quote ends the reading", () => {
    assertEquals(formsOf(`<form action="/x`), []);
    assertEquals(formsOf(`<form action="/x"><input name="a" value="1"><input name="b`), [
      { action: "/x", fields: { a: "1" } },
    ]);
  });
});

Deno.test("formsOf takes time linear in the page, whatever the page", async (t) => {
  // Each of these made a backtracking form regex (or a naive rescan) quadratic or worse; the
  // first is the page from the report: 192 KB that took a regex 7-18 s of CPU.
  const pages: [string, string][] = [
    ["<form  x 32,000 (192 KB)", "<form ".repeat(32_000)],
    ['<form action="x"  x 12,000', '<form action="x" '.repeat(12_000)],
    ["forms that never close, full of inputs", '<form action="/a"><input name="x" '.repeat(6_000)],
    [
      "an open quote after many inputs",
      '<form action="/a">' + '<input name="a">'.repeat(12_000) + '<input value="',
    ],
    ["<form></form>  x 30,000", "<form></form>".repeat(30_000)],
    ["<input  x 32,000 outside any form", "<input ".repeat(32_000)],
    [
      "references  x 40,000",
      `<form action="/a"><input name="a" value="${"&amp;".repeat(40_000)}"></form>`,
    ],
  ];
  for (const [name, page] of pages) {
    await t.step(`${name}: under a second`, () => {
      const started = performance.now();
      formsOf(page);
      const ms = performance.now() - started;
      assert(ms < 1_000, `${name}: ${Math.round(ms)} ms for ${page.length} characters`);
    });
  }
});
