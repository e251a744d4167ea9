/**
 * How the kit's tools show a person and their saved state, in the pack's words.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../pack/mod.ts";

/** A person's profile as tools return it. */
export function profileSchema(brand: PackBrand) {
  return z.object({
    id: z.string().describe(`The ${brand.userNoun}'s stable id (from their sign-in)`),
    email: z.string().nullable(),
    memberSince: z.string().describe("ISO time of the first session"),
    previousVisit: z.string().nullable().describe("ISO time of the session before this one"),
  });
}

/** A person's saved state as tools return it. */
export function stateSchema(brand: PackBrand) {
  return z.object({
    data: z.record(z.string(), z.unknown()).describe(
      `What the ${brand.productName} remembers for this ${brand.userNoun}`,
    ),
    version: z.number().int().describe("Incremented on every save; pass it as expected_version"),
    updatedAt: z.string(),
  });
}

/** The `state` view of a stored state. */
export function stateView(
  saved: { state: Record<string, unknown>; version: number; updatedAt: string },
) {
  return { data: saved.state, version: saved.version, updatedAt: saved.updatedAt };
}
