/**
 * `domain_cancel`: cancel one of the person's reservations, by its id or by the idempotency key it
 * was booked with. Cancelling one already cancelled changes nothing and answers what it was, so a
 * retried call (or the example, run twice) is answered the same way.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../../pack/mod.ts";
import {
  cancellationTerms,
  FREE_CANCELLATION_HOURS,
  LATE_CANCELLATION_FEE_PERCENT,
} from "../policy.ts";
import type { BookingStore, ReservationRef } from "../store.ts";
import { formatVenueTime } from "../time.ts";
import { ReservationViewSchema, viewsOf } from "../views.ts";
import { bookingKey, EXAMPLE_BOOKING_KEY, notFound, reservationId } from "./arguments.ts";

/** `domain_cancel`. */
export const cancelTool = defineTool<BookingStore>()({
  name: "domain_cancel",
  title: "Cancel a reservation",
  description: "Cancels one of the person's reservations: give its reservation_id (from " +
    "domain_list_reservations or domain_book), or instead the idempotency_key it was booked " +
    `with. Free until ${FREE_CANCELLATION_HOURS} h before the start, then ` +
    `${LATE_CANCELLATION_FEE_PERCENT}% of the price, and not once it has started: tell the ` +
    `person the fee before cancelling within ${FREE_CANCELLATION_HOURS} h of the start. ` +
    "Cancelling a reservation already cancelled changes nothing and says so.",
  access: "write",
  inputSchema: z.object({
    reservation_id: reservationId.optional().describe(
      "The reservation, from domain_list_reservations",
    ),
    idempotency_key: bookingKey.optional().describe(
      "Instead of reservation_id: the idempotency_key the reservation was booked with",
    ),
  }),
  outputSchema: z.object({
    outcome: z.enum(["cancelled", "already_cancelled"]).describe(
      "already_cancelled: it had been cancelled before; nothing changed",
    ),
    reservation: ReservationViewSchema,
    feeCents: z.number().int().describe("The fee charged for cancelling it"),
  }),
  // Cancels the booking made by domain_book's example (the contract runs the examples in order).
  example: { idempotency_key: EXAMPLE_BOOKING_KEY },
  run: async ({ reservation_id, idempotency_key }, { store, identity, reply }) => {
    if ((reservation_id === undefined) === (idempotency_key === undefined)) {
      return reply.refused(
        "give either reservation_id (from domain_list_reservations) or the idempotency_key the " +
          "reservation was booked with, not both and not neither.",
      );
    }
    const which: ReservationRef = reservation_id !== undefined
      ? { id: reservation_id }
      : { idempotencyKey: idempotency_key! };
    const views = viewsOf(store.venue);
    const zone = views.zone;
    const now = Date.now();
    const done = await store.cancel(identity.sub, which, (r, at) => {
      const terms = cancellationTerms(r.start, r.priceCents, at);
      return terms.allowed ? terms.feeCents : null;
    });
    switch (done.outcome) {
      case "not_found":
        return reply.refused(
          reservation_id !== undefined
            ? notFound(reservation_id)
            : `no reservation of yours was booked with idempotency_key "${idempotency_key}". ` +
              "Your reservations, with their keys, come from domain_list_reservations.",
        );
      case "started":
        return reply.refused(
          `${done.reservation.id} started at ${
            formatVenueTime(done.reservation.start, zone)
          }; a booking cannot be cancelled once it has started.`,
        );
      case "already_cancelled": {
        const r = done.reservation;
        return reply.success(
          {
            outcome: "already_cancelled",
            reservation: views.reservationView(r, now),
            feeCents: r.feeCents ?? 0,
          },
          `${r.id} was already cancelled (${
            formatVenueTime(r.cancelledAt!, zone)
          }); nothing changed: ${views.reservationLine(r)}.`,
        );
      }
    }
    const r = done.reservation;
    const fee = r.feeCents ?? 0;
    return reply.success(
      {
        outcome: "cancelled",
        reservation: views.reservationView(r, now),
        feeCents: fee,
      },
      `Cancelled: ${views.reservationLine(r)}.\n${
        fee === 0
          ? `No fee: it was cancelled more than ${FREE_CANCELLATION_HOURS} hours before the start.`
          : `Cancellation fee ${views.formatMoney(fee)} (${LATE_CANCELLATION_FEE_PERCENT}% of ${
            views.formatMoney(r.priceCents)
          }: cancelled within ${FREE_CANCELLATION_HOURS} hours of the start).`
      }`,
    );
  },
});
