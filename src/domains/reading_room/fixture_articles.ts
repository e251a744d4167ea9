/**
 * A small catalog whose ranking is predictable, for the Reading Room's store tests (and the kit's
 * fixed-content test).
 *
 * @module
 */
import type { Article } from "./catalog.ts";

/** A small catalog whose ranking is predictable. */
export const FIXTURE_ARTICLES: Article[] = [
  {
    id: "a1",
    title: "Sourdough starters and wild yeast",
    author: "Ines Marlow",
    tags: ["cooking", "fermentation"],
    published: "2024-03-01",
    summary: "How a starter captures wild yeast and bacteria.",
    body: [
      "A sourdough starter is flour and water left to ferment until wild yeast settles in.",
      "Fermentation produces lactic acid, which gives the bread its sour taste.",
    ],
  },
  {
    id: "a2",
    title: "Compost heaps through the seasons",
    author: "Ines Marlow",
    tags: ["gardening", "compost"],
    published: "2023-06-12",
    summary: "Turning kitchen scraps into soil.",
    body: [
      "A compost heap needs air, moisture and a balance of green and brown material.",
      "Microbes break the scraps down; some call it a slow fermentation, though it is mostly decay.",
    ],
  },
  {
    id: "a3",
    title: "Why the night sky is dark",
    author: "Tomas Reyne",
    tags: ["astronomy"],
    published: null,
    summary: "Olbers' paradox and the age of the universe.",
    body: ["If the universe were infinite and eternal, every line of sight would end on a star."],
  },
];
