/**
 * Keeps the embedded database's files private to the server's user.
 *
 * PGlite's file layer (Emscripten's NODEFS over `node:fs`) sets each file's mode explicitly to what
 * the WASM side asks for, 0666 for data files, with `chmodSync` and `writeFileSync({ mode })`; an
 * explicit mode is not narrowed by the process umask. Those files hold person emails and saved
 * state, so every mode that layer sets is narrowed to the owner here, before PGlite is loaded. The
 * patch can only remove permissions, never add them.
 *
 * @module
 */
import fs from "node:fs";

/** Permission bits that must never be set for group or others. */
const NOT_FOR_OTHERS = 0o077;

let installed = false;

/** Narrows every mode `node:fs` is asked to set in this isolate to owner-only. Idempotent. */
export function keepFilesPrivate(): void {
  if (installed) return;
  installed = true;
  // deno-lint-ignore no-explicit-any
  const target = fs as any;
  const narrow = (mode: unknown) => typeof mode === "number" ? mode & ~NOT_FOR_OTHERS : mode;
  const chmodSync = target.chmodSync;
  target.chmodSync = (path: unknown, mode: unknown) => chmodSync(path, narrow(mode));
  const fchmodSync = target.fchmodSync;
  target.fchmodSync = (fd: unknown, mode: unknown) => fchmodSync(fd, narrow(mode));
  const writeFileSync = target.writeFileSync;
  target.writeFileSync = (path: unknown, data: unknown, options?: unknown) =>
    writeFileSync(
      path,
      data,
      options && typeof options === "object" && "mode" in options
        ? { ...options, mode: narrow((options as { mode: unknown }).mode) }
        : options,
    );
  const mkdirSync = target.mkdirSync;
  target.mkdirSync = (path: unknown, options?: unknown) =>
    mkdirSync(
      path,
      typeof options === "number"
        ? narrow(options)
        : options && typeof options === "object" && "mode" in options
        ? { ...options, mode: narrow((options as { mode: unknown }).mode) }
        : options,
    );
}
