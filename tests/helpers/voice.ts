/**
 * The sentences the default pack's results carry, for assertions.
 *
 * @module
 */
import { readingRoomPack } from "../../src/domains/reading_room/pack.ts";
import { failClosedSentence, reminderLine } from "../../src/pack/reply.ts";

/** The fail-closed sentence of the Reading Room. */
export const FAIL_CLOSED_SENTENCE = failClosedSentence(readingRoomPack.brand);

/** The reminder line of the Reading Room. */
export const REMINDER = reminderLine(readingRoomPack.brand);
