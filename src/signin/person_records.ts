/**
 * The development issuer's KV records that name a person, for the index forgetting walks (see
 * `kv/person_keys.ts`): grants, refresh tokens (through their grant), authorization codes, and
 * pending sign-ins once someone has signed in on them.
 *
 * @module
 */
import type { PersonRecordKind } from "../kv/person_keys.ts";
import { signinKeys } from "./kv_keys.ts";

type Named = { sub?: unknown };
const subOf = (value: unknown): string | null =>
  typeof (value as Named)?.sub === "string" ? (value as { sub: string }).sub : null;

/** Every kind of sign-in record that names a person. */
export const SIGNIN_PERSON_RECORDS: readonly PersonRecordKind[] = [
  { prefix: signinKeys.tokenFamily("").slice(0, 2), sub: subOf },
  { prefix: signinKeys.authorizationCode("").slice(0, 2), sub: subOf },
  {
    prefix: signinKeys.pendingRequest("").slice(0, 2),
    sub: (value) => subOf((value as { person?: unknown })?.person),
  },
  {
    prefix: signinKeys.refreshToken("").slice(0, 2),
    sub: async (value, kv) => {
      const familyId = (value as { familyId?: unknown })?.familyId;
      if (typeof familyId !== "string") return null;
      return subOf((await kv.get(signinKeys.tokenFamily(familyId))).value);
    },
  },
];
