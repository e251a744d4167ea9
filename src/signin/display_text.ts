/**
 * Third-party text shown on our pages (a client's self-declared name) made safe to display.
 *
 * @module
 */

/**
 * `text` without Unicode format characters (category Cf: bidi overrides such as U+202E, zero-width
 * joiners, invisible separators) and with control characters as spaces. A name carrying U+202E
 * would otherwise reverse the rest of its line on the consent page — including the host shown
 * beside it, the one part of the page a client cannot choose — and zero-width characters let one
 * name pass for another.
 */
export function displayText(text: string): string {
  return text.replace(/\p{Cf}/gu, "").replace(/\p{Cc}/gu, " ");
}
