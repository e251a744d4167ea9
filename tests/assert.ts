/**
 * The assertions tests use, under the `@std/assert` names (mapped here in deno.json) and built on
 * `node:assert/strict`, so the suite needs nothing from JSR.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts `actual` deep-equals `expected`. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts `actual` does not deep-equal `expected`. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Asserts `condition` is truthy. */
export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Asserts `value` is neither null nor undefined. */
export function assertExists<T>(value: T, message?: string): asserts value is NonNullable<T> {
  nodeAssert.ok(value !== null && value !== undefined, message ?? "expected a value");
}

/** Asserts `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

/** Asserts `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.match(actual, expected, message);
}

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/** Asserts `fn` rejects, optionally with an `ErrorClass` error whose message includes `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  errorClass?: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return checkThrown(error, errorClass, includes);
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}

/** Asserts `fn` throws, optionally with an `ErrorClass` error whose message includes `includes`. */
export function assertThrows(fn: () => unknown, errorClass?: ErrorClass, includes?: string): Error {
  try {
    fn();
  } catch (error) {
    return checkThrown(error, errorClass, includes);
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

function checkThrown(thrown: unknown, errorClass?: ErrorClass, includes?: string): Error {
  if (errorClass) {
    nodeAssert.ok(thrown instanceof errorClass, `expected ${errorClass.name}, got ${thrown}`);
  }
  if (includes) assertStringIncludes((thrown as Error).message, includes);
  return thrown as Error;
}
