/**
 * Every domain pack this build ships, by id. Adding a pack is one line here (and its folder beside
 * this file, its `seed/<id>/` folder and its tests).
 *
 * @module
 */
import type { DomainPack } from "../pack/domain_pack.ts";
import { bookingPack } from "./booking/pack.ts";
import { readingRoomPack } from "./reading_room/pack.ts";

/** The packs, by the id `DOMAIN` selects them with. */
export const PACKS: Readonly<Record<string, DomainPack>> = {
  reading_room: readingRoomPack as DomainPack,
  booking: bookingPack as DomainPack,
};

/** The pack `DOMAIN` names when it is unset. */
export const DEFAULT_PACK = "reading_room";

/** An unknown `DOMAIN`. */
export class UnknownPackError extends Error {
  /** Creates the error, listing the packs there are. */
  constructor(id: string) {
    super(
      `Invalid configuration:\n  DOMAIN: no domain pack "${id}"; known packs: ${
        Object.keys(PACKS).join(", ")
      }`,
    );
    this.name = "UnknownPackError";
  }
}

/** The pack `id` names (default {@linkcode DEFAULT_PACK}). */
export function selectPack(id: string | undefined): DomainPack {
  const chosen = id === undefined || id === "" ? DEFAULT_PACK : id;
  if (!Object.hasOwn(PACKS, chosen)) throw new UnknownPackError(chosen);
  return PACKS[chosen];
}
