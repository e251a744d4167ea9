/**
 * The embedded database's own thread. PGlite runs PostgreSQL compiled to WASM on whichever thread
 * calls it, so a runaway query would stop the server's event loop (timers, other requests, signal
 * handlers). Here it can only stop this worker, which the main thread then terminates.
 *
 * Answers one {@linkcode WorkerReply} per {@linkcode WorkerRequest}, matched by `id`.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { keepFilesPrivate } from "./private_files.ts";
import { pathExists } from "../path_exists.ts";
import { ARRAY_ELEMENTS, PGLITE_SERIALIZERS, SCALAR_PARSERS } from "./sql_values.ts";

/** A request from the main thread. `open` comes first, exactly once. */
export type WorkerRequest =
  | { id: number; op: "open"; dir?: string }
  | { id: number; op: "query"; sql: string; params?: unknown[] }
  | { id: number; op: "exec"; sql: string }
  | { id: number; op: "close" };

/**
 * The answer to one request: rows, or the error's message and SQLSTATE. `open` answers one row,
 * `{ created }`: whether it made a new database in the directory.
 */
export type WorkerReply =
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code?: string } };

/**
 * PostgreSQL's default 128 MB of shared buffers are touched when the embedded database opens, so
 * they are resident from the start: ≈ 290 MB for a reopen against ≈ 150 MB with 16 MB, which still
 * holds the whole working set of a single-host deployment many times over (measured: 2,000 queries
 * after the open, 299 against 182 MB; the open itself 1.0 s against 0.54 s).
 */
const EMBEDDED_SETTINGS = ["shared_buffers = 16MB"];

let db: PGlite | undefined;

/**
 * Arrays of types outside the table (sql_values.ts: enums, domains, `box`, …) as their text, as
 * the driver gives them in production. PGlite builds a parser for every array type that exists
 * when it opens, so an enum a migration made would be text until the next restart, then an array.
 */
function textForOtherArrays(opened: PGlite): void {
  for (const key of Object.keys(opened.parsers)) {
    if (key in ARRAY_ELEMENTS || key in SCALAR_PARSERS || key in pgliteTypes.parsers) continue;
    delete opened.parsers[key];
  }
}

async function answer(request: WorkerRequest): Promise<unknown[]> {
  if (request.op === "open") {
    // The file layer runs in this isolate, so this is where its file modes are narrowed.
    keepFilesPrivate();
    const created = request.dir !== undefined && !(await pathExists(`${request.dir}/PG_VERSION`));
    // The same JavaScript values as the driver in production (see sql_values.ts); PGlite derives
    // its array parsers from these. One options object: `new PGlite(undefined, options)` (a
    // database in memory) would ignore the options.
    db = new PGlite({
      dataDir: request.dir,
      postgresqlconf: EMBEDDED_SETTINGS,
      parsers: SCALAR_PARSERS,
      serializers: PGLITE_SERIALIZERS,
    });
    await db.waitReady;
    textForOtherArrays(db);
    return [{ created }];
  }
  if (request.op === "close") {
    await db?.close();
    db = undefined;
    return [];
  }
  if (!db) throw new Error("embedded database not open");
  if (request.op === "exec") {
    await db.exec(request.sql);
    return [];
  }
  return (await db.query(request.sql, request.params)).rows;
}

self.onmessage = async ({ data }: MessageEvent<WorkerRequest>) => {
  let reply: WorkerReply;
  try {
    reply = { id: data.id, rows: await answer(data) };
  } catch (error) {
    const { message, code } = error as { message?: string; code?: string };
    reply = { id: data.id, error: { message: String(message ?? error), code } };
  }
  self.postMessage(reply);
};
