/**
 * `domain_get_item`: one resource, or one of the person's own reservations, by id.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../../pack/mod.ts";
import type { BookingStore } from "../store.ts";
import { ReservationViewSchema, ResourceViewSchema, viewsOf } from "../views.ts";
import { notFound } from "./arguments.ts";

/** `domain_get_item`. */
export const getItemTool = defineTool<BookingStore>()({
  name: "domain_get_item",
  title: "Look at a resource or reservation",
  description: "Returns one bookable resource by id (description, capacity, amenities, opening " +
    "hours, prices), or one of the person's own reservations by id (res_…), with its price and " +
    "what cancelling it would cost now.",
  access: "read",
  inputSchema: z.object({
    id: z.string().min(1).max(40).describe(
      "A resource id (garden-room) or a reservation id (res_…)",
    ),
  }),
  outputSchema: z.object({
    resource: ResourceViewSchema.optional(),
    reservation: ReservationViewSchema.optional(),
  }),
  example: { id: "garden-room" },
  run: async ({ id }, { store, identity, reply }) => {
    const views = viewsOf(store.venue);
    if (id.startsWith("res_")) {
      const found = await store.getReservation(identity.sub, id);
      if (!found) return reply.refused(notFound(id));
      const now = Date.now();
      return reply.success(
        { reservation: views.reservationView(found, now) },
        `${views.reservationLine(found)}${found.note ? `\nNote: ${found.note}` : ""}${
          found.status === "active" ? `\n${views.cancellationText(found, now)}` : ""
        }`,
      );
    }
    const resource = await store.getResource(id);
    if (!resource) return reply.refused(notFound(id));
    return reply.success(
      { resource: views.resourceView(resource) },
      views.resourceText(resource),
    );
  },
});
