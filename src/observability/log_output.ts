/**
 * Where the request log goes by default: standard output, a batch of lines per write. One
 * `console.log` per request (formatting, a synchronous write, its own syscall) was ≈ 9 % of a
 * cheap call's CPU; lines written in the same turn of the event loop now leave together, at most
 * one timer tick later. {@linkcode flushLogLines} writes what is waiting (before the process exits).
 *
 * @module
 */

const encoder = new TextEncoder();
let waiting: string[] = [];
/** The most a pipe that does not drain may hold back (the newest bytes are kept). */
const MAX_UNWRITTEN = 1024 * 1024;
/** Bytes a full pipe did not take last time; they go first. */
let unwritten: Uint8Array | undefined;
let scheduled = false;

function schedule(ms: number): void {
  if (!scheduled) {
    scheduled = true;
    setTimeout(flushLogLines, ms);
  }
}

/** Queues one line for standard output. */
export function writeLogLine(line: string): void {
  waiting.push(line);
  schedule(0);
}

/** Writes every waiting line now. Never throws: a closed stdout loses lines, not the process. */
export function flushLogLines(): void {
  scheduled = false;
  if (waiting.length === 0 && !unwritten) return;
  const fresh = waiting.length === 0 ? new Uint8Array() : encoder.encode(waiting.join("\n") + "\n");
  waiting = [];
  const bytes = unwritten ? concat(unwritten, fresh) : fresh;
  unwritten = undefined;
  let offset = 0;
  try {
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  } catch (error) {
    // stdout is gone (a closed pipe): nothing sensible to do with a log line. Anything else (a
    // full non-blocking pipe) keeps what was not written for a flush a moment later.
    if (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.BadResource) return;
    // Bounded: a pipe that never drains costs the oldest lines, not the process's memory.
    unwritten = bytes.slice(Math.max(offset, bytes.length - MAX_UNWRITTEN));
    schedule(10);
  }
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}
