/**
 * Fresh PostgreSQL databases for tests, reached the production way: the Neon driver over a
 * WebSocket relay. The server is the PostgreSQL this machine runs on 127.0.0.1:5432; where none is
 * running, each database is an embedded PGlite served over the PostgreSQL wire protocol
 * (`@electric-sql/pglite-socket`) behind the same relay, so the driver path is always tested.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { openNeon } from "../../src/store/neon.ts";
import type { SqlClient } from "../../src/store/types.ts";
import { startWsRelay, type WsRelay } from "./ws_relay.ts";

/** Where the test PostgreSQL listens (trust auth). */
export const POSTGRES_ADDRESS = Deno.env.get("TEST_POSTGRES_ADDRESS") ?? "127.0.0.1:5432";

/** A throwaway database, dropped on dispose. */
export interface TestDatabase extends AsyncDisposable {
  /** Connection string for `DATABASE_URL`. */
  url: string;
  /** The relay, for `DATABASE_WS_PROXY` and for fault injection. */
  relay: WsRelay;
  /** Opens a client to it through the relay (the production driver path). */
  connect(): SqlClient;
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
  /**
   * `"plain"`: the database is owned by, and reached as, {@linkcode PLAIN_OWNER} (on the machine's
   * PostgreSQL only; PGlite has no such roles and stays the superuser); `"bare"`: by
   * {@linkcode BARE_OWNER}.
   */
  owner?: "superuser" | "plain" | "bare";
}

/** Creates an empty database behind its own relay. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  return await postgresServerRunning() ? await onServer(options) : await onPglite();
}

async function onServer({ owner = "superuser" }: TestDatabaseOptions): Promise<TestDatabase> {
  const relay = startWsRelay(POSTGRES_ADDRESS);
  const adminUrl = `postgres://postgres@${POSTGRES_ADDRESS}/postgres`;
  const admin = () =>
    openNeon({ connectionString: adminUrl, wsProxy: relay.address, maxConnections: 1 });
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
  const url = `postgres://${user}@${POSTGRES_ADDRESS}/${name}`;
  return {
    url,
    relay,
    connect: () => openNeon({ connectionString: url, wsProxy: relay.address }),
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

async function onPglite(): Promise<TestDatabase> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 32 });
  await server.start();
  const address = server.getServerConn();
  const relay = startWsRelay(address);
  const url = `postgres://postgres@${address}/postgres`;
  return {
    url,
    relay,
    connect: () => openNeon({ connectionString: url, wsProxy: relay.address }),
    async [Symbol.asyncDispose]() {
      relay.setPaused(false);
      await relay[Symbol.asyncDispose]();
      await server.stop();
      await db.close();
    },
  };
}
