/**
 * Another process holding the SQLite write lock of a local KV file, as a second server (or an
 * operator's `sqlite3`) can: KV writes then wait, reads go on.
 *
 * @module
 */

/** A held write lock. */
export interface KvWriteLock {
  /** Ends the other process's transaction (nothing was written) and the process. */
  release(): Promise<void>;
}

/** Starts `sqlite3` on the KV file at `path` and takes its write lock (`BEGIN EXCLUSIVE`). */
export async function holdWriteLock(path: string): Promise<KvWriteLock> {
  const child = new Deno.Command("sqlite3", {
    args: [path],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await writer.write(
    new TextEncoder().encode("PRAGMA busy_timeout = 10000;\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n"),
  );
  let seen = "";
  while (!seen.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("sqlite3 ended before taking the lock");
    seen += value;
  }
  let released: Promise<void> | undefined;
  return {
    release() {
      released ??= (async () => {
        await writer.write(new TextEncoder().encode("ROLLBACK;\n.quit\n"));
        await writer.close();
        await reader.cancel();
        await child.status;
      })();
      return released;
    },
  };
}
