/**
 * Embedded PostgreSQL (PGlite) as a {@linkcode SqlClient}: the default backend, so the connector
 * runs with nothing installed.
 *
 * PGlite runs in its own worker (see `pglite_worker.ts`): a query that never returns stops that
 * worker, not the server. Every request has a deadline; a worker that misses one is terminated,
 * everything sent to it fails, and a fresh worker reopens the database for the calls that follow.
 *
 * @module
 */
import type { WorkerReply, WorkerRequest } from "./pglite_worker.ts";
import {
  type CallOptions,
  givenUpAtCommit as commitUnknown,
  givenUpSent as sentUnknown,
  givenUpUnsent as notSent,
  type SqlClient,
  type SqlTransaction,
  StoreError,
} from "./types.ts";

/** Options of {@linkcode openPglite}. */
export interface PgliteOptions {
  /** Database directory (created if needed); in memory when omitted. */
  dir?: string;
  /** Deadline of each statement, in milliseconds. Default 5,000. */
  timeoutMs?: number;
  /**
   * Deadline for starting a worker and opening the database (measured 1.4–7 s), kept apart from
   * the statement deadline so the first call after a restart does not pay for the open. Default
   * 30,000 (or `timeoutMs` if longer).
   */
  openTimeoutMs?: number;
}

type Request = WorkerRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never
  : never;

interface InFlight {
  resolve(rows: unknown[]): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** What this call failed as if the worker stops under it (whether it can have taken effect). */
  sent: () => StoreError;
}

/** The main thread's side of the worker: deadlines, restarts, and one statement at a time. */
class PgliteWorkerClient implements SqlClient {
  readonly #dir?: string;
  readonly #timeoutMs: number;
  readonly #openTimeoutMs: number;
  #worker?: Worker;
  #opening?: Promise<void>;
  #isOpen = false;
  /** Bumped on every stop, so requests and transactions bound to a dead worker fail. */
  #generation = 0;
  #nextId = 0;
  readonly #inFlight = new Map<number, InFlight>();
  #lockTail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: PgliteOptions) {
    this.#dir = options.dir;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#openTimeoutMs = options.openTimeoutMs ?? Math.max(30_000, this.#timeoutMs);
  }

  /** Resolves once a worker has the database open, starting one if needed. */
  ready(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new StoreError("unavailable", "embedded database closed"));
    }
    if (!this.#opening) {
      const opening = this.#open();
      this.#opening = opening;
      // A failed open is retried by the next call.
      opening.catch(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
    }
    return this.#opening;
  }

  async query<Row>(sql: string, params?: unknown[], options?: CallOptions): Promise<Row[]> {
    const signal = options?.signal;
    await this.#readyWithin(signal);
    return await this.#exclusive(async () => {
      await this.#readyWithin(signal);
      const request = { op: "query", sql, params } as const;
      return await this.#request(request, this.#generation, signal, sentUnknown) as Row[];
    }, signal);
  }

  async transaction<T>(
    fn: (tx: SqlTransaction) => Promise<T>,
    options?: CallOptions,
  ): Promise<T> {
    const signal = options?.signal;
    await this.#readyWithin(signal);
    // PGlite is one connection: the transaction holds the lock from BEGIN to COMMIT or ROLLBACK.
    return await this.#exclusive(async () => {
      await this.#readyWithin(signal);
      // Bound to this worker: after a restart, the rest of the transaction must fail rather than
      // run outside it on the fresh database. Given up on before COMMIT, the worker is stopped
      // (or the rest never sent) and the transaction is lost with it.
      const generation = this.#generation;
      const send = (request: Request, whenSent = notSent) =>
        this.#request(request, generation, signal, whenSent);
      // BEGIN goes with the transaction's first statement: with a script (exec), in the same
      // message to the worker (the kit's isolation setup is one).
      let begun = false;
      try {
        const result = await fn({
          query: async <Row>(sql: string, params?: unknown[]) => {
            if (!begun) {
              begun = true;
              await send({ op: "query", sql: "BEGIN" });
            }
            return await send({ op: "query", sql, params }) as Row[];
          },
          exec: async (sql: string) => {
            const opening = !begun;
            begun = true;
            await send({ op: "exec", sql: opening ? `BEGIN;\n${sql}` : sql });
          },
        });
        if (begun) await send({ op: "query", sql: "COMMIT" }, commitUnknown);
        return result;
      } catch (error) {
        if (begun) {
          await this.#request({ op: "query", sql: "ROLLBACK" }, generation).catch(() => {});
        }
        throw error;
      }
    }, signal);
  }

  /** `ready()`, given up on (nothing sent) when `signal` aborts first. */
  async #readyWithin(signal?: AbortSignal): Promise<void> {
    if (!signal) return await this.ready();
    if (signal.aborted) throw notSent();
    const { promise, reject } = Promise.withResolvers<never>();
    const onAbort = () => reject(notSent());
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([this.ready(), promise]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A clean close lets a file database shut down properly; a stuck worker is terminated anyway.
    if (this.#isOpen) {
      const generation = this.#generation;
      await this.#exclusive(() => this.#request({ op: "close" }, generation)).catch(() => {});
    }
    this.#stop(this.#generation, new StoreError("unavailable", "embedded database closed"));
  }

  async #open(): Promise<void> {
    const generation = this.#generation;
    try {
      const [opened] = await this.#startWorker(generation) as { created?: boolean }[];
      if (opened?.created) {
        // Creating the database (initdb) leaves ≈ 350 MB behind in the worker that serving it
        // never needs; an isolate does not give it back. Reopening the new files in a fresh worker
        // takes about a second and starts from ≈ 250 MB.
        await this.#request({ op: "close" }, generation, undefined, notSent, this.#openTimeoutMs);
        const creator = this.#worker!;
        // Nothing it still has queued may reach (and stop) the fresh worker of the same generation.
        creator.onmessage = creator.onerror = creator.onmessageerror = null;
        creator.terminate();
        await this.#startWorker(generation);
      }
      this.#isOpen = true;
    } catch (error) {
      this.#stop(generation, error as Error);
      throw error;
    }
  }

  /** Starts a worker for `generation` and opens the database in it; answers the open's reply. */
  #startWorker(generation: number): Promise<unknown[]> {
    const worker = new Worker(new URL("./pglite_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => this.#settle(data);
    // An uncaught error in the worker would otherwise end the whole process.
    worker.onerror = (event) => {
      event.preventDefault();
      // Whatever it was running may or may not have reached the file: each call says which.
      this.#stop(
        generation,
        new StoreError("unavailable", `embedded database failed: ${event.message}`),
        true,
      );
    };
    worker.onmessageerror = () =>
      this.#stop(generation, new StoreError("unavailable", "embedded database sent garbage"));
    this.#worker = worker;
    return this.#request(
      { op: "open", dir: this.#dir },
      generation,
      undefined,
      () =>
        new StoreError("timeout", `embedded database: not open within ${this.#openTimeoutMs} ms`),
      this.#openTimeoutMs,
    );
  }

  /**
   * Sends one request to the worker of `generation`, failing it (and restarting) past the deadline
   * or when `signal` aborts: the worker is stopped, so nothing more of the statement runs, and the
   * request fails with `whenSent()` (whether what was sent can have taken effect).
   */
  #request(
    request: Request,
    generation: number,
    signal?: AbortSignal,
    whenSent: () => StoreError = sentUnknown,
    timeoutMs = this.#timeoutMs,
  ): Promise<unknown[]> {
    const worker = this.#worker;
    if (!worker || generation !== this.#generation) {
      return Promise.reject(
        new StoreError("timeout", "embedded database restarted before the statement was sent"),
      );
    }
    if (signal?.aborted) return Promise.reject(notSent());
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const giveUp = () => this.#stop(generation, whenSent(), true);
      // Without a signal (the client used on its own), the worker's own deadline says so plainly.
      const timer = setTimeout(
        signal ? giveUp : () =>
          this.#stop(
            generation,
            new StoreError("timeout", `embedded database: no answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      signal?.addEventListener("abort", giveUp, { once: true });
      const done = () => signal?.removeEventListener("abort", giveUp);
      this.#inFlight.set(id, {
        resolve: (rows) => (done(), resolve(rows)),
        reject: (error) => (done(), reject(error)),
        timer,
        sent: whenSent,
      });
      worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  #settle(reply: WorkerReply): void {
    const call = this.#inFlight.get(reply.id);
    if (!call) return;
    this.#inFlight.delete(reply.id);
    clearTimeout(call.timer);
    if ("rows" in reply) return call.resolve(reply.rows);
    call.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
  }

  /**
   * Ends the worker of `generation` (once): terminates it, fails everything sent to it, and, if it
   * had been serving, starts a fresh one so the next call does not wait for the whole open.
   */
  #stop(generation: number, error: Error, labelled = false): void {
    if (generation !== this.#generation) return;
    this.#generation++;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#opening = undefined;
    const wasOpen = this.#isOpen;
    this.#isOpen = false;
    for (const call of this.#inFlight.values()) {
      clearTimeout(call.timer);
      call.reject(labelled ? call.sent() : error);
    }
    this.#inFlight.clear();
    if (wasOpen && !this.#closed) this.ready().catch(() => {});
  }

  /**
   * Runs `work` when no other call holds the lock. A call that waited longer than the deadline for
   * its turn is dropped unsent: its caller has given up, and a late write would surprise them.
   */
  #exclusive<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const queued = performance.now();
    const run = this.#lockTail.then(() => {
      if (signal?.aborted || performance.now() - queued > this.#timeoutMs) {
        throw new StoreError("timeout", "embedded database busy past the deadline");
      }
      return work();
    });
    this.#lockTail = run.catch(() => {});
    return run;
  }
}

/**
 * Opens (creating if needed) a PGlite database in its own worker: in `dir`, or in memory when
 * `dir` is omitted. Resolves once the database is open.
 */
export async function openPglite(options: PgliteOptions = {}): Promise<SqlClient> {
  if (options.dir) await Deno.mkdir(options.dir, { recursive: true });
  const client = new PgliteWorkerClient(options);
  try {
    await client.ready();
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}
