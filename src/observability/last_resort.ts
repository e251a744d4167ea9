/**
 * The last-resort guard: an error nobody awaited must not end the process. Deno exits on an
 * unhandled rejection or an uncaught exception by default; one stray promise in a request path would
 * then take every person's connection down with it. The guard logs the error's name only (a message
 * may quote request data) and keeps serving. Root causes are still fixed where they are found; this
 * is the net under them.
 *
 * @module
 */

let installed = false;

/** Where the guard writes its line (stderr by default; tests capture it). */
export type LastResortSink = (line: string) => void;

let sink: LastResortSink = (line) => console.error(line);

/** Installs the guard once per process; later calls only replace the sink when one is given. */
export function installLastResortGuard(options: { sink?: LastResortSink } = {}): void {
  if (options.sink) sink = options.sink;
  if (installed) return;
  installed = true;
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    report("unhandled rejection", event.reason);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    report("uncaught exception", event.error);
  });
}

function report(kind: string, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  try {
    sink(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: kind, name }));
  } catch {
    // Logging must never be the thing that fails here.
  }
}
