/**
 * Time as tools hand it to a model: ISO 8601 in UTC.
 *
 * @module
 */

/**
 * An SQL timestamp (a `Date` from the driver, or its text) as ISO 8601; `null` stays `null`.
 *
 * @example
 * ```ts
 * import { isoTime } from "./time.ts";
 *
 * isoTime(new Date(0)); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function isoTime(value: Date | string): string;
/** An SQL timestamp that may be missing (a nullable column) as ISO 8601, or `null`. */
export function isoTime(value: Date | string | null): string | null;
export function isoTime(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
