/**
 * Fresh PostgreSQL databases for tests, reached the production ways: through either driver —
 * `"neon"`, the Neon driver over a WebSocket relay, or `"tcp"`, `pg` through a TCP relay — each
 * relay there for fault injection. The server is the PostgreSQL this machine runs on
 * 127.0.0.1:5432; where none is running, each database is an embedded PGlite served over the
 * PostgreSQL wire protocol (`@electric-sql/pglite-socket`) behind the same relays, so the driver
 * paths are always tested.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { PostgresDriver } from "../../src/config.ts";
import type { PostgresOptions } from "../../src/store/postgres.ts";
import { openNeon } from "../../src/store/neon.ts";
import { openTcp } from "../../src/store/tcp.ts";
import type { SqlClient } from "../../src/store/types.ts";
import type { DatabaseRelay } from "./relay.ts";
import { startTcpRelay } from "./tcp_relay.ts";
import { startWsRelay } from "./ws_relay.ts";

export type { PostgresDriver } from "../../src/config.ts";

/** Where the test PostgreSQL listens (trust auth). */
export const POSTGRES_ADDRESS = Deno.env.get("TEST_POSTGRES_ADDRESS") ?? "127.0.0.1:5432";

/** Both PostgreSQL drivers, the default (`neon`) first: loop a test over them. */
export const POSTGRES_DRIVERS: readonly PostgresDriver[] = ["neon", "tcp"];

/** How each driver is named in a test's name. */
export const DRIVER_NAMES: Readonly<Record<PostgresDriver, string>> = {
  neon: "the Neon driver over a WebSocket",
  tcp: "pg over TCP",
};

/** A throwaway database, dropped on dispose. */
export interface TestDatabase extends AsyncDisposable {
  /** The driver its clients and servers use. */
  driver: PostgresDriver;
  /** Connection string for `DATABASE_URL` (with `tcp`, its host is the relay). */
  url: string;
  /** What a server needs to reach it: `DATABASE_URL`, `DATABASE_DRIVER`, the WebSocket relay. */
  env: Record<string, string>;
  /** The relay every client of it goes through, for fault injection. */
  relay: DatabaseRelay;
  /** Opens a client to it through the relay (the production driver path). */
  connect(options?: PostgresOptions): SqlClient;
}

let serverRunning: Promise<boolean> | undefined;

/** Whether a PostgreSQL server answers at {@linkcode POSTGRES_ADDRESS} (checked once). */
function postgresServerRunning(): Promise<boolean> {
  serverRunning ??= (async () => {
    const [hostname, port] = POSTGRES_ADDRESS.split(":");
    try {
      (await Deno.connect({ hostname, port: Number(port) })).close();
      return true;
    } catch {
      console.warn(
        `No PostgreSQL at ${POSTGRES_ADDRESS}: using PGlite behind the wire protocol instead.`,
      );
      return false;
    }
  })();
  return serverRunning;
}

/**
 * A role that is neither a superuser nor `BYPASSRLS` (with `CREATEROLE`, as an application's
 * owner role on a managed PostgreSQL is): row-level security applies to it as it does there. The
 * machine's `postgres` is a superuser, which no row-level security holds.
 */
export const PLAIN_OWNER = "kit_test_plain_owner";

/** A plain role that may not create roles either (nor is it granted the kit's person role). */
export const BARE_OWNER = "kit_test_bare_owner";

/** What {@linkcode createTestDatabase} creates. */
export interface TestDatabaseOptions {
  /** The driver to reach it through (default `"neon"`). */
  driver?: PostgresDriver;
  /**
   * `"plain"`: the database is owned by, and reached as, {@linkcode PLAIN_OWNER} (on the machine's
   * PostgreSQL only; PGlite has no such roles and stays the superuser); `"bare"`: by
   * {@linkcode BARE_OWNER}.
   */
  owner?: "superuser" | "plain" | "bare";
}

/** Creates an empty database behind its own relay. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  return await postgresServerRunning() ? await onServer(options) : await onPglite(options);
}

/**
 * The database `name` at `address`, reached as `user` through `driver` and its own relay: the
 * parts of a {@linkcode TestDatabase} but its disposal.
 */
function reached(
  driver: PostgresDriver,
  address: string,
  user: string,
  name: string,
): Omit<TestDatabase, typeof Symbol.asyncDispose> {
  const relay = driver === "neon" ? startWsRelay(address) : startTcpRelay(address);
  // The Neon driver names the server and the relay carries it there; pg connects to the relay.
  const url = `postgres://${user}@${driver === "neon" ? address : relay.address}/${name}`;
  const env: Record<string, string> = { DATABASE_URL: url, DATABASE_DRIVER: driver };
  if (driver === "neon") env.DATABASE_WS_PROXY = relay.address;
  return {
    driver,
    url,
    env,
    relay,
    connect: (options = {}) => {
      const pool = { ...options, connectionString: url };
      return driver === "neon" ? openNeon({ ...pool, wsProxy: relay.address }) : openTcp(pool);
    },
  };
}

async function onServer(
  { owner = "superuser", driver = "neon" }: TestDatabaseOptions,
): Promise<TestDatabase> {
  // Creating and dropping databases goes straight to the server, whichever driver the tests use.
  const admin = () =>
    openTcp({
      connectionString: `postgres://postgres@${POSTGRES_ADDRESS}/postgres`,
      maxConnections: 1,
    });
  const name = `rr_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const creator = admin();
  const user = { superuser: "postgres", plain: PLAIN_OWNER, bare: BARE_OWNER }[owner];
  try {
    if (owner !== "superuser") {
      // Roles belong to the whole server; tests running side by side may create it together.
      await creator.query(
        `DO $$ BEGIN CREATE ROLE ${user} LOGIN NOSUPERUSER NOBYPASSRLS ${
          owner === "plain" ? "CREATEROLE" : "NOCREATEROLE"
        };
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
      );
    }
    await creator.query(`CREATE DATABASE ${name} OWNER ${user}`);
  } finally {
    await creator.close();
  }
  const database = reached(driver, POSTGRES_ADDRESS, user, name);
  const { relay } = database;
  return {
    ...database,
    async [Symbol.asyncDispose]() {
      relay.setPaused(false);
      relay.setRefusing(false);
      const dropper = admin();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.close();
        await relay[Symbol.asyncDispose]();
      }
    },
  };
}

async function onPglite({ driver = "neon" }: TestDatabaseOptions): Promise<TestDatabase> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 32 });
  await server.start();
  const database = reached(driver, server.getServerConn(), "postgres", "postgres");
  const { relay } = database;
  return {
    ...database,
    async [Symbol.asyncDispose]() {
      relay.setPaused(false);
      await relay[Symbol.asyncDispose]();
      await server.stop();
      await db.close();
    },
  };
}
