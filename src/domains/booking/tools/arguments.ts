/**
 * Argument schemas the desk's tools share, the day their example calls book, and the refusal for
 * an id that names nothing of the person's.
 *
 * @module
 */
import { z } from "zod";
import { MAX_BOOKING_MINUTES, MIN_BOOKING_MINUTES, SLOT_MINUTES } from "../policy.ts";

/** A resource id. */
export const resourceId = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/).describe(
  "Resource id, e.g. garden-room",
);

/** A reservation id. */
export const reservationId = z.string().regex(/^res_[a-z0-9]{12}$/).describe(
  "Reservation id, e.g. res_k3m9x2p7q4ab",
);

/** A date on the venue's clock. */
export const dateArg = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** A time of day on the venue's clock. */
export const clockArg = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/);

/** The key a booking is made with, which its retries reuse. */
export const bookingKey = z.string().regex(/^[A-Za-z0-9._:-]{8,64}$/);

/** A moment: on the venue's clock, or with an explicit offset. */
export const timeArg = z.string().max(40).describe(
  "YYYY-MM-DDTHH:MM on the venue's clock (its time zone comes with every result), or with an explicit offset",
);

/** A booking's length. */
export const durationArg = z.number().int().min(MIN_BOOKING_MINUTES).max(MAX_BOOKING_MINUTES)
  .multipleOf(SLOT_MINUTES);

/** A kind of space (which kinds there are depends on the venue: checked when the tool runs). */
export const kindArg = z.string().regex(/^[a-z_]{1,40}$/);

/**
 * The day the example calls use: a week from today (give or take the day the venue's clock is on),
 * where 10:00–11:00 in the Garden Room (open from 08:00 every day) is free on a fresh database
 * whatever the date; the same idempotency key makes a second run of the example return the same
 * reservation.
 */
export const EXAMPLE_DAY: string = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);

/** The idempotency key of `domain_book`'s example, by which `domain_cancel`'s example cancels it. */
export const EXAMPLE_BOOKING_KEY = "example-garden-room-booking";

/** The refusal for an id that names no resource and none of the person's reservations. */
export function notFound(id: string): string {
  return `there is no resource or reservation of yours with id "${id}". Resource ids come from domain_search; your reservations from domain_list_reservations.`;
}
