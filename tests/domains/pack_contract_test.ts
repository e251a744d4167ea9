/**
 * The kit's contract, walked for every registered pack with the pack's own example calls: adding a
 * pack to `src/domains/registry.ts` adds it here with no edit to this file. The walk itself is
 * `tests/helpers/pack_contract.ts`.
 *
 * @module
 */
import { allPacks } from "../../src/domains/registry.ts";
import { walkPackContract } from "../helpers/pack_contract.ts";

for (const pack of await allPacks()) {
  Deno.test(`pack contract: ${pack.id}`, async (t) => {
    await walkPackContract(pack, (name, fn) => t.step(name, fn));
  });
}
