/**
 * What PostgreSQL's values become in JavaScript: one table, by type OID, that both backends are
 * configured with (PGlite through its `parsers` and `serializers` options, in its worker; both
 * PostgreSQL drivers, `pg` and the Neon driver, through their `types`: pg_pool.ts), so the same SQL
 * gives the same values in development and production.
 *
 * Left to themselves PGlite and the drivers disagree: `count(*)` (int8) is a number on PGlite and
 * a string through a driver; `numeric[]` the other way round; bytea a `Uint8Array` or a Node
 * `Buffer`; a `date` a `Date` at UTC midnight on PGlite and at the process's local midnight
 * through a driver (and a `timestamp` a `Date` read in the process's time zone on both).
 *
 * - `int2`, `int4`, `oid`, `float4`, `float8` → `number` (`NaN` and `±Infinity` included).
 * - `int8` (`count(*)`, `bigserial`, `sum(int)`) → `number`; past ±(2^53 − 1) the call fails,
 *   naming the fix (select it `::text`), rather than rounding or changing type with the value.
 * - `numeric` (`sum(bigint)`, `avg(…)`) → `string`, the exact decimal (`::float8` for a number).
 * - `bool` → `boolean`; `json`, `jsonb` → the parsed JSON; `bytea` → `Uint8Array`.
 * - `timestamptz` → `Date` (to the millisecond); `±infinity` fails (select it `::text`).
 * - `date`, `timestamp`, `time`, `interval` → PostgreSQL's ISO text (`"2024-01-02"`,
 *   `"2024-01-02 03:04:05"`, `"1 day 02:00:00"`).
 * - arrays of these and of the text-like built-ins (`text[]`, `uuid[]`, …) → arrays, nested per
 *   dimension; an array of any other type (an enum, `box`) → its text, as the drivers have no parser.
 * - `NULL` → `null`; any other type (`text`, `uuid`, enums, …) → PostgreSQL's text.
 *
 * Why: a number that cannot be exact and a `Date` that depends on the machine's time zone are the
 * two ways a value silently differs between a laptop and production; here the first fails where
 * it is read, and only instants become `Date`s (a calendar day or a wall-clock reading stays text).
 *
 * Parameters: a `Date` is sent as UTC by both (a driver would otherwise send the process's local
 * time, which a `date` or `timestamp` column keeps); a JavaScript array for a `json` or `jsonb`
 * parameter is refused on PGlite as production refuses it (the drivers send it as a PostgreSQL
 * array): pass `JSON.stringify(value)`.
 *
 * @module
 */

/** Turns PostgreSQL's text form of one value (never `NULL`) into its JavaScript value. */
export type TextParser = (text: string) => unknown;

/**
 * A value the kit will not hand over as its JavaScript type, because that would lose it (an int8
 * past ±(2^53 − 1), a timestamp no `Date` can hold), or a parameter production would refuse (an
 * array for json). Its `code` is SQLSTATE 42804 (datatype mismatch): the statement is wrong for
 * its values, so the store reports it as `broken`, with the message naming the fix.
 */
export class UnrepresentableValueError extends Error {
  /** The SQLSTATE the store maps it by (crosses the embedded database's worker as it is). */
  readonly code = "42804";
  /** The class's name, for logs and stack traces. */
  override readonly name = "UnrepresentableValueError";
}

/** OIDs of the built-in types the table names (`SELECT oid, typname FROM pg_type`). */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  jsonb: 3802,
} as const;

const text: TextParser = (value) => value;

/** int8 as a number, exact or not at all. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  throw new UnrepresentableValueError(
    `the int8 value ${value} is past JavaScript's exact integers (±${Number.MAX_SAFE_INTEGER}): ` +
      "select it as text (::text) to read it",
  );
}

/** `2024-01-02 03:04:05.123456+05:30` (DateStyle ISO, the default), years past 9999 and BC too. */
const TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

/** The digit at `i` of `s` as a number. */
const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
/** The two digits at `i` of `s` as a number. */
const twoDigits = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * timestamptz as the instant it names, to the millisecond (microseconds are cut, as `Date` must).
 * The usual shape (a year from 1000 to 9999, an offset in hours or hours and minutes) is read
 * by position, faster than either driver's own parser; anything else by the pattern above.
 */
function parseTimestamptz(value: string): Date {
  const n = value.length;
  if (
    n >= 22 && value.charCodeAt(4) === 45 && value.charCodeAt(10) === 32 &&
    value.charCodeAt(16) === 58 && value.charCodeAt(0) !== 48
  ) {
    let i = 19;
    let ms = 0;
    if (value.charCodeAt(i) === 46) {
      // Milliseconds from the first three digits of the fraction; the rest is skipped.
      let digits = 0;
      for (let k = value.charCodeAt(++i); k >= 48 && k <= 57; k = value.charCodeAt(++i)) {
        if (digits++ < 3) ms = ms * 10 + k - 48;
      }
      for (; digits < 3; digits++) ms *= 10;
    }
    const sign = value.charCodeAt(i);
    const minutes = i + 3 === n
      ? 0
      : i + 6 === n && value.charCodeAt(i + 3) === 58
      ? twoDigits(value, i + 4)
      : -1;
    if ((sign === 43 || sign === 45) && minutes >= 0) {
      const offset = (twoDigits(value, i + 1) * 60 + minutes) * 60_000;
      const at = Date.UTC(
        digit(value, 0) * 1000 + digit(value, 1) * 100 + twoDigits(value, 2),
        twoDigits(value, 5) - 1,
        twoDigits(value, 8),
        twoDigits(value, 11),
        twoDigits(value, 14),
        twoDigits(value, 17),
        ms,
      );
      return new Date(sign === 45 ? at + offset : at - offset);
    }
  }
  const m = TIMESTAMPTZ.exec(value);
  if (m) {
    const year = m[12] ? 1 - Number(m[1]) : Number(m[1]);
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
    const offset = (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * 1000;
    const date = new Date(0);
    // setUTCFullYear, unlike Date.UTC, takes years 0–99 as themselves.
    date.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
    date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), ms);
    const at = date.getTime() - (m[8] === "-" ? -offset : offset);
    if (Number.isFinite(at) && Math.abs(at) <= 8.64e15) return new Date(at);
  }
  throw new UnrepresentableValueError(
    `the timestamptz value ${value} is not an instant a Date can hold: select it as text (::text)`,
  );
}

/** bytea in the hex output format (PostgreSQL's default since 9.0). */
function parseBytea(value: string): Uint8Array {
  if (value.startsWith("\\x")) return Uint8Array.fromHex(value.slice(2));
  throw new UnrepresentableValueError(
    "bytea came in the escape format: the kit reads bytea_output = hex (the default)",
  );
}

const parseJson: TextParser = (value) => JSON.parse(value);

/**
 * The scalar types' parsers, by OID. A type not listed is its PostgreSQL text on both backends:
 * PGlite parses nothing beyond what is overridden here, and the driver's fallback is replaced by
 * {@linkcode parserForDriver}.
 */
export const SCALAR_PARSERS: Readonly<Record<number, TextParser>> = Object.freeze({
  [OID.bool]: (value: string) => value === "t",
  [OID.bytea]: parseBytea,
  [OID.int8]: parseInt8,
  [OID.int2]: Number,
  [OID.int4]: Number,
  [OID.oid]: Number,
  [OID.json]: parseJson,
  [OID.float4]: Number,
  [OID.float8]: Number,
  [OID.date]: text,
  [OID.time]: text,
  [OID.timestamp]: text,
  [OID.timestamptz]: parseTimestamptz,
  [OID.interval]: text,
  [OID.numeric]: text,
  [OID.jsonb]: parseJson,
});

/**
 * Array types and their element types (`typarray` of each). PGlite builds array parsers for every
 * array type itself, from the element parsers above; the driver is given these.
 */
export const ARRAY_ELEMENTS: Readonly<Record<number, number>> = Object.freeze({
  1000: OID.bool,
  1001: OID.bytea,
  1002: 18, // "char"
  1003: 19, // name
  1005: OID.int2,
  1007: OID.int4,
  1009: 25, // text
  1014: 1042, // bpchar
  1015: 1043, // varchar
  1016: OID.int8,
  1017: 600, // point
  1021: OID.float4,
  1022: OID.float8,
  1028: OID.oid,
  1115: OID.timestamp,
  1182: OID.date,
  1183: OID.time,
  1185: OID.timestamptz,
  1187: OID.interval,
  1231: OID.numeric,
  1270: 1266, // timetz
  2951: 2950, // uuid
  199: OID.json,
  3807: OID.jsonb,
  1041: 869, // inet
  651: 650, // cidr
  1040: 829, // macaddr
  791: 790, // money
});

/** `elements` (nested arrays of text or `null`) with `parse` applied to each text. */
function mapElements(elements: unknown[], parse: TextParser): unknown[] {
  const out = new Array(elements.length);
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i];
    out[i] = element === null
      ? null
      : Array.isArray(element)
      ? mapElements(element, parse)
      : parse(element as string);
  }
  return out;
}

/**
 * The driver's parser for type `oid` (text format), given the driver's own array-literal parser
 * (`types.getTypeParser(1009)`, which yields nested arrays of text and `null`): the table's parser,
 * an array of the table's elements, or the text itself.
 */
export function parserForDriver(oid: number, parseTextArray: TextParser): TextParser {
  const scalar = SCALAR_PARSERS[oid];
  if (scalar) return scalar;
  const element = ARRAY_ELEMENTS[oid];
  if (element === undefined) return text;
  const parse = SCALAR_PARSERS[element];
  if (!parse || parse === text) return parseTextArray;
  return (value) => mapElements(parseTextArray(value) as unknown[], parse);
}

/**
 * A json or jsonb parameter as PGlite sends it by default (text as it is, anything else as JSON),
 * except a JavaScript array.
 */
function serializeJson(value: unknown): string {
  if (Array.isArray(value)) {
    throw new UnrepresentableValueError(
      "a JavaScript array for a json or jsonb parameter: pass JSON.stringify(value) (the " +
        "PostgreSQL driver in production sends arrays as PostgreSQL arrays, which json refuses)",
    );
  }
  return typeof value === "string" ? value : JSON.stringify(
    value,
    (_key, v) => typeof v === "bigint" ? v.toString() : v,
  );
}

/**
 * PGlite's parameter serializers that differ from its defaults: json and jsonb refuse a
 * JavaScript array, as production does (see the module's note on parameters).
 */
export const PGLITE_SERIALIZERS: Readonly<Record<number, (value: unknown) => string>> = Object
  .freeze({ [OID.json]: serializeJson, [OID.jsonb]: serializeJson });
