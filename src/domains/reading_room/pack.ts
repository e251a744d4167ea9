/**
 * The Reading Room: a small library of original articles and each reader's shelf. The kit's first
 * pack, and the example to copy.
 *
 * @module
 */
import { z } from "zod";
import { definePack } from "../../pack/mod.ts";
import { type Article, libraryContent } from "./catalog.ts";
import { READING_ROOM_MIGRATIONS } from "./migrations.ts";
import { createReadingRoomStore, type ReadingRoomStore } from "./store.ts";
import { readingRoomTools, ShelfEntrySchema } from "./tools.ts";

/** The Reading Room pack. */
export const readingRoomPack = definePack<ReadingRoomStore, readonly Article[]>({
  id: "reading_room",
  brand: {
    productName: "Reading Room",
    serverName: "reading-room",
    userNoun: "reader",
    memoryName: "reading memory",
    tagline: "A reading companion for your AI assistant",
    pitch:
      "search and read the Reading Room's library, keep your shelf, and remember what you asked it to",
    instructions: "The Reading Room: a small library of articles and a memory of each reader. " +
      "Call begin_session first in every new conversation: it returns the house rules, the " +
      "librarian's voice, what is saved for this reader, and the session token the other tools need. " +
      "If a Reading Room tool fails, tell the person the session cannot continue right now.",
    scopeDescription:
      "search and read the library, and keep your reading memory (shelf, progress, preferences)",
    firstRequest: "ask for something to read",
  },
  guidanceDir: new URL("../../../seed/reading_room/", import.meta.url),
  migrations: READING_ROOM_MIGRATIONS,
  content: libraryContent(),
  createStore: createReadingRoomStore,
  tools: readingRoomTools,
  export: async (store, sub) => ({ shelf: await store.getShelf(sub) }),
  forget: async (tx, sub) => {
    await tx.query("DELETE FROM reading_room_shelf WHERE user_id = $1", [sub]);
  },
  session: {
    schema: z.object({
      shelf: z.record(z.string(), ShelfEntrySchema).describe(
        "The reader's shelf by article id: what they saved for later and what they have read",
      ),
    }),
    load: async (store, identity) => {
      const shelf = await store.getShelf(identity.sub);
      const entries = Object.entries(shelf);
      const text = entries.length === 0
        ? "Shelf: empty."
        : `Shelf: ${
          entries.map(([id, e]) =>
            `[${id}] ${e.title}${e.readAt ? " (read)" : e.shelvedAt ? " (saved for later)" : ""}`
          ).join("; ")
        }.`;
      return { data: { shelf }, text };
    },
  },
});
