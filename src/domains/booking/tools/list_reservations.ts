/**
 * `domain_list_reservations`: the person's reservations, upcoming first.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../../pack/mod.ts";
import type { BookingStore, Reservation } from "../store.ts";
import { ReservationViewSchema, viewsOf } from "../views.ts";

/** `domain_list_reservations`. */
export const listReservationsTool = defineTool<BookingStore>()({
  name: "domain_list_reservations",
  title: "List my reservations",
  description: "The person's upcoming reservations, soonest first; optionally past ones and " +
    "cancelled ones too. Times carry the venue's offset.",
  access: "read",
  inputSchema: z.object({
    include_past: z.boolean().optional().describe("Also reservations that have ended"),
    include_cancelled: z.boolean().optional().describe("Also cancelled reservations"),
    limit: z.number().int().min(1).max(50).optional().describe("How many, 1-50 (default 20)"),
  }),
  outputSchema: z.object({
    reservations: z.array(ReservationViewSchema),
    includePast: z.boolean(),
    includeCancelled: z.boolean(),
  }),
  example: {},
  run: async (args, { store, identity, reply }) => {
    const views = viewsOf(store.venue);
    const includePast = args.include_past ?? false;
    const includeCancelled = args.include_cancelled ?? false;
    const list = await store.listReservations(identity.sub, {
      includePast,
      includeCancelled,
      limit: args.limit ?? 20,
    });
    const now = Date.now();
    const what = includePast ? "reservations" : "upcoming reservations";
    return reply.success(
      {
        reservations: list.map((r) => views.reservationView(r, now)),
        includePast,
        includeCancelled,
      },
      list.length === 0
        ? `No ${what}.`
        : `Your ${what} (${views.zone}):\n${list.map(views.reservationLine).join("\n")}`,
    );
  },
});

/** Upcoming reservations in a sentence, for `begin_session`. */
export function upcomingText(store: BookingStore, list: readonly Reservation[]): string {
  return list.length === 0
    ? "Upcoming reservations: none."
    : `Upcoming reservations: ${list.map(viewsOf(store.venue).reservationLine).join("; ")}.`;
}
