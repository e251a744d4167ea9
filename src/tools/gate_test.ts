import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Refusal } from "../pack/mod.ts";
import { createReply } from "../pack/kit_side.ts";
import { StoreError, storeFailure } from "../store/types.ts";
import { type CallSite, failureResult, type GateContext, OutputMismatch } from "./gate.ts";

const brand = {
  productName: "Probe Desk",
  serverName: "probe-desk",
  userNoun: "tester",
  memoryName: "probe memory",
  tagline: "",
  pitch: "",
  instructions: "",
  scopeDescription: "",
  firstRequest: "",
};
const gate = (development: boolean): GateContext => ({
  sessions: undefined as never,
  reply: createReply(brand),
  brand,
  packId: "probe",
  development,
});
const site: CallSite = { tool: "domain_probe", fromPack: true, writes: false };
const text = (result: { content?: unknown }) =>
  (result.content as { text: string }[]).map((c) => c.text).join("\n");

Deno.test("the database's refusals are classified by SQLSTATE", () => {
  const refused = (code: string) => Object.assign(new Error(`refused ${code}`), { code });
  assertEquals(storeFailure(refused("22P02")).code, "rejected");
  assertEquals(storeFailure(refused("54001")).code, "rejected");
  assertEquals(storeFailure(refused("42703")).code, "broken");
  assertEquals(storeFailure(refused("25006")).code, "broken");
  assertEquals(storeFailure(refused("23505")).code, "broken");
  for (const failing of ["08006", "40P01", "53300", "57P01", "XX000"]) {
    assertEquals(storeFailure(refused(failing)).code, "unavailable", failing);
  }
  assertEquals(storeFailure(new Error("socket hang up")).code, "unavailable");
  assertEquals(
    storeFailure(Object.assign(new Error("x"), { code: "ECONNRESET" })).code,
    "unavailable",
  );
});

Deno.test("a broken query: details in development, none in production", () => {
  const broken = new StoreError("broken", 'column "nope" does not exist', { sqlstate: "42703" });
  const dev = text(failureResult(broken, gate(true), site));
  assertStringIncludes(dev, "SQLSTATE 42703");
  assertStringIncludes(dev, "nope");
  const prod = text(failureResult(broken, gate(false), site));
  assert(!prod.includes("42703") && !prod.includes("nope"), prod);
  assertStringIncludes(prod, "session cannot continue");
});

Deno.test("a pack's own error fails the call; the kit's fails closed", () => {
  const error = new RangeError("secret detail 1234");
  const prod = text(failureResult(error, gate(false), site));
  assertStringIncludes(prod, "This call failed");
  assert(!prod.includes("1234"), prod);
  assertStringIncludes(text(failureResult(error, gate(true), site)), "RangeError: secret detail");
  const kit = text(failureResult(error, gate(true), { ...site, fromPack: false }));
  assertStringIncludes(kit, "internal error");
  assert(!kit.includes("1234"), kit);
  assertStringIncludes(
    text(failureResult(new Refusal("fix this."), gate(false), site)),
    "Request refused, nothing was changed: fix this.",
  );
});

Deno.test("an answer outside its output schema is named in one plain sentence", () => {
  const mismatch = new OutputMismatch("completed.0.at: expected string, received Date");
  for (const writes of [false, true]) {
    const said = text(failureResult(mismatch, gate(true), { ...site, writes }));
    assertStringIncludes(
      said,
      "domain_probe's answer does not match its output schema: completed.0.at: expected string, " +
        "received Date. Fix the tool's answer or its outputSchema.",
    );
    assert(!said.includes("'s the answer"), said);
  }
});

Deno.test("a plain Error that reads like a refusal: Refusal is suggested (development)", () => {
  const said = (error: Error) => text(failureResult(error, gate(true), site));
  for (const message of ["lesson l9 not found", "level must be 1-5", "already enrolled"]) {
    const dev = said(new Error(message));
    assertStringIncludes(dev, `domain_probe threw Error: ${message}.`);
    assertStringIncludes(dev, "throw new Refusal(");
    assert(!text(failureResult(new Error(message), gate(false), site)).includes("Refusal"));
  }
  // A bug's message, or a class of its own, gets no such advice.
  for (
    const error of [
      new Error("lesson.steps is undefined"),
      new TypeError("Cannot read properties of undefined (reading 'title')"),
      new RangeError("Invalid time value"),
    ]
  ) {
    assert(!said(error).includes("Refusal"), said(error));
  }
});
