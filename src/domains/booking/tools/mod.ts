/**
 * The booking desk's `domain_*` tools, one file each: find free times, look at a resource or a
 * reservation, book, cancel, list one's reservations. The venue (its clock, its currency, what
 * can be booked) reaches every one of them through the store, from the pack's fixed content.
 *
 * @module
 */
import { bookTool } from "./book.ts";
import { cancelTool } from "./cancel.ts";
import { getItemTool } from "./get_item.ts";
import { listReservationsTool } from "./list_reservations.ts";
import { searchTool } from "./search.ts";

export { upcomingText } from "./list_reservations.ts";

/** The desk's tools, in the order hosts list them. */
export const bookingTools = [searchTool, getItemTool, bookTool, cancelTool, listReservationsTool];
