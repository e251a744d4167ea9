/**
 * Schema pieces shared by the tool groups.
 *
 * @module
 */
import { z } from "zod";

/** The session token argument every gated tool takes. */
export const sessionArg = z.string().min(1).max(4096).describe(
  "The session token returned by begin_session.",
);

/** A reader's profile as tools return it. */
export const ProfileSchema = z.object({
  id: z.string().describe("The reader's stable id (from their sign-in)"),
  email: z.string().nullable(),
  memberSince: z.string().describe("ISO time of the first session"),
  previousVisit: z.string().nullable().describe("ISO time of the session before this one"),
});

/** A reader's saved state as tools return it. */
export const StateSchema = z.object({
  data: z.record(z.string(), z.unknown()).describe(
    "What the Reading Room remembers for this reader",
  ),
  version: z.number().int().describe("Incremented on every save; pass it as expected_version"),
  updatedAt: z.string(),
});

/** The `state` view of a stored state. */
export function stateView(
  saved: { state: Record<string, unknown>; version: number; updatedAt: string },
) {
  return { data: saved.state, version: saved.version, updatedAt: saved.updatedAt };
}

/** Read-only, idempotent, harmless. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
} as const;
