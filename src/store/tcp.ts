/**
 * PostgreSQL over TCP through `pg` (node-postgres), `DATABASE_DRIVER=tcp`: any PostgreSQL the
 * process can reach — on this machine, Supabase, RDS, Neon's direct or pooled endpoint (Deno
 * Deploy allows outbound TCP) — with no relay in between. TLS is what the URL's `sslmode` asks,
 * read by `pg` itself: unset or `disable`, none; `require` and above, a verified certificate (pg 8
 * treats `require` as `verify-full`, and says so once on stderr). The pool the kit runs over it is
 * pg_pool.ts, the same as over the Neon driver.
 *
 * @module
 */
import pg from "pg";
import { openPgPool, type PgDriver, type PgPoolOptions } from "./pg_pool.ts";
import type { SqlClient } from "./types.ts";

/**
 * `pg` ships no type declarations (`@types/pg` would bring all of Node's in): the part the kit uses
 * is declared in pg_pool.ts ({@linkcode PgDriver}) and taken as such here.
 */
const PG: PgDriver = { Pool: pg.Pool, Client: pg.Client, types: pg.types, defaults: pg.defaults };

/** Options of {@linkcode openTcp}. */
export type TcpOptions = PgPoolOptions;

/** Opens a connection pool over TCP. Nothing connects until the first query. */
export function openTcp(options: TcpOptions): SqlClient {
  return openPgPool(PG, options);
}
