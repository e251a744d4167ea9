/**
 * Third-party text shown on our pages (a client's self-declared name) made safe to display.
 *
 * @module
 */

/**
 * Characters that render as nothing, beyond category Cf: the default-ignorable code points (Hangul
 * fillers U+115F, U+1160, U+3164, U+FFA0, variation selectors, …) and the blank Braille pattern
 * U+2800, which fonts draw empty. A name made only of these would show as a blank where the page
 * should say it does not know the app's name.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/**
 * `text` without invisible characters (format characters such as the bidi override U+202E,
 * zero-width joiners and invisible separators, Hangul fillers, the blank Braille pattern) and with
 * control characters as spaces. A name carrying U+202E would otherwise reverse the rest of its
 * line on the consent page — including the host shown beside it, the one part of the page a client
 * cannot choose — zero-width characters let one name pass for another, and a name of fillers alone
 * would show as nothing at all instead of "An unnamed app".
 */
export function displayText(text: string): string {
  return text.replace(INVISIBLE, "").replace(/\p{Cc}/gu, " ");
}
