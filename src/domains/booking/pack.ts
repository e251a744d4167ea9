/**
 * The Willowbank booking desk: a small community centre's rooms, studios, courts and kitchen, and
 * each person's reservations. The kit's second pack, and the example of a domain whose data is
 * shared between people and changes under concurrency.
 *
 * @module
 */
import { z } from "zod";
import { definePack } from "../../pack/mod.ts";
import { BOOKING_MIGRATIONS } from "./migrations.ts";
import { type BookingStore, createBookingStore } from "./store.ts";
import { bookingTools, upcomingText } from "./tools/mod.ts";
import { type Venue, VENUE_CONTENT } from "./venue.ts";
import { ReservationViewSchema, viewsOf } from "./views.ts";

/** The booking desk pack. */
export const bookingPack = definePack<BookingStore, Venue>({
  id: "booking",
  brand: {
    productName: "Willowbank Booking Desk",
    serverName: "willowbank-booking",
    userNoun: "member",
    memoryName: "booking memory",
    tagline: "The Willowbank Community Centre's booking desk, in your AI assistant",
    pitch:
      "find free rooms, courts and studios at the Willowbank Community Centre, book and cancel them, and keep track of your reservations",
    instructions: "The Willowbank Booking Desk: rooms, courts, studios and a kitchen at a " +
      "community centre, and this member's reservations. Call begin_session first in every new " +
      "conversation: it returns the desk's rules (prices, cancellation), its voice, what is saved " +
      "for this member, their upcoming reservations, and the session token the other tools need. " +
      "If a Booking Desk tool fails, tell the person the session cannot continue right now.",
    scopeDescription:
      "see free times, book and cancel reservations in your name, and keep your booking memory (preferences)",
    firstRequest: "ask for a free room this week",
  },
  guidanceDir: new URL("../../../seed/booking/", import.meta.url),
  migrations: BOOKING_MIGRATIONS,
  content: VENUE_CONTENT,
  createStore: createBookingStore,
  tools: bookingTools,
  export: async (store, sub) => {
    const reservations = await store.listReservations(sub, {
      includePast: true,
      includeCancelled: true,
      limit: 10_000,
    });
    const now = Date.now();
    const { reservationView } = viewsOf(store.venue);
    return { reservations: reservations.map((r) => reservationView(r, now)) };
  },
  forget: async (tx, sub) => {
    // Slots go with their reservations (ON DELETE CASCADE); the shared venue stays.
    await tx.query("DELETE FROM booking_reservations WHERE user_id = $1", [sub]);
  },
  session: {
    schema: z.object({
      upcoming: z.array(ReservationViewSchema).describe(
        "The member's upcoming reservations, soonest first",
      ),
    }),
    load: async (store, identity) => {
      const upcoming = await store.listReservations(identity.sub, {
        includePast: false,
        includeCancelled: false,
        limit: 10,
      });
      const now = Date.now();
      const { reservationView } = viewsOf(store.venue);
      return {
        data: { upcoming: upcoming.map((r) => reservationView(r, now)) },
        text: upcomingText(store, upcoming),
      };
    },
  },
});
