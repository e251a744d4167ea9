/**
 * The data directory is private to the server's user: it holds the development signing key, the
 * session secret, Deno KV (pending sign-ins, sessions) and the embedded database (person emails and
 * saved state). Another local account must not be able to read any of it.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** Mode of the data directory and of every directory created in it. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file in it. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dataDir` (and the directory of a KV file outside it) exist with mode 0700, tightens what an
 * earlier version left readable, and sets the process umask to 077 so that everything created from
 * now on (KV's journal files, the embedded database's files, keys) is private from the start rather
 * than fixed up afterwards.
 */
export async function preparePrivateDataDir(dataDir: string, kvPath?: string): Promise<void> {
  try {
    Deno.umask(0o077);
  } catch {
    // Platforms without a process umask (Deno Deploy) have no local files either.
  }
  await ensurePrivateDir(dataDir);
  // Files an earlier version may have created world-readable.
  const known = ["dev-signing-key.json", "session-secret", "kv.sqlite3"].map((f) =>
    join(dataDir, f)
  );
  if (kvPath) {
    await Deno.mkdir(dirname(kvPath), { recursive: true, mode: PRIVATE_DIR_MODE });
    known.push(kvPath);
  }
  for (const path of known) {
    for (const file of [path, `${path}-wal`, `${path}-shm`]) await tighten(file, PRIVATE_FILE_MODE);
  }
  await tighten(join(dataDir, "pglite"), PRIVATE_DIR_MODE);
}

async function ensurePrivateDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  await tighten(path, PRIVATE_DIR_MODE);
}

/** Sets `mode` on `path` when it exists and is more open than that. */
async function tighten(path: string, mode: number): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (info.mode !== null && (info.mode & 0o777 & ~mode) !== 0) await Deno.chmod(path, mode);
}

/** This process's hold on the embedded database: {@linkcode holdEmbeddedDatabase}. */
export interface EmbeddedDatabaseHold {
  /** Lets another process open the database (closing the process does too). */
  release(): void;
}

/**
 * Takes the embedded database in `dir` for this process, or answers `undefined` when another
 * process (or another server in this one) holds it. PGlite takes no lock of its own: two processes
 * open on one directory both write to it and can damage it, so the server and `deno task db:shell`
 * each hold this one (an exclusive lock on `<dir>.lock`, released by the system if the process dies).
 */
export async function holdEmbeddedDatabase(dir: string): Promise<EmbeddedDatabaseHold | undefined> {
  const file = await Deno.open(`${dir}.lock`, {
    create: true,
    write: true,
    mode: PRIVATE_FILE_MODE,
  });
  if (!(await file.tryLock(true))) {
    file.close();
    return undefined;
  }
  let held = true;
  return {
    release: () => {
      if (held) file.close();
      held = false;
    },
  };
}
