/**
 * Every domain pack this build ships, by id. Adding a pack is one line here (and its folder beside
 * this file, its `seed/<id>/` folder and its tests).
 *
 * Each entry loads its pack when asked, so a server evaluates only the pack it serves (the booking
 * desk's module work — its venue file, time-zone checks, tool schemas — costs ≈ 30–40 ms of a
 * Reading Room cold start otherwise).
 *
 * @module
 */
import { StartupError } from "../errors.ts";
import type { Pack } from "../pack/mod.ts";

/** The packs, by the id `DOMAIN` selects them with: each entry imports its pack. */
export const PACKS: Readonly<Record<string, () => Promise<Pack>>> = {
  reading_room: async () => (await import("./reading_room/pack.ts")).readingRoomPack,
  booking: async () => (await import("./booking/pack.ts")).bookingPack,
};

/** The pack `DOMAIN` names when it is unset. */
export const DEFAULT_PACK = "reading_room";

/** An unknown `DOMAIN`. */
export class UnknownPackError extends StartupError<"unknown_pack"> {
  /** Creates the error, listing the packs there are. */
  constructor(id: string) {
    super(
      "unknown_pack",
      `Invalid configuration:\n  DOMAIN: no domain pack "${id}"; known packs: ${
        Object.keys(PACKS).join(", ")
      }`,
    );
  }
}

/**
 * Loads the pack `id` names (default {@linkcode DEFAULT_PACK}).
 *
 * @throws {UnknownPackError} when there is no such pack.
 */
export async function selectPack(id: string | undefined): Promise<Pack> {
  const chosen = id === undefined || id === "" ? DEFAULT_PACK : id;
  if (!Object.hasOwn(PACKS, chosen)) throw new UnknownPackError(chosen);
  return await PACKS[chosen]();
}

/** Loads every pack (for tests that walk them all). */
export async function allPacks(): Promise<Pack[]> {
  return await Promise.all(Object.values(PACKS).map((load) => load()));
}
