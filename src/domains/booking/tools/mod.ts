/**
 * The booking desk's `domain_*` tools, one file each: find free times, look at a resource or a
 * reservation, book and cancel, list one's reservations. The venue (its clock, its currency, what
 * can be booked) reaches every one of them through the store, from the pack's fixed content.
 *
 * @module
 */
import { doActionTool } from "./do_action.ts";
import { getItemTool } from "./get_item.ts";
import { listReservationsTool } from "./list_reservations.ts";
import { searchTool } from "./search.ts";

export { upcomingText } from "./list_reservations.ts";

/** The desk's tools, in the order hosts list them. */
export const bookingTools = [searchTool, getItemTool, doActionTool, listReservationsTool];
