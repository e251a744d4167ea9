/**
 * Fresh PostgreSQL databases for tests, reached the production way: the Neon driver over a
 * WebSocket relay to the PostgreSQL this machine runs on 127.0.0.1:5432.
 *
 * @module
 */
import { openNeon } from "../../src/store/neon.ts";
import type { SqlClient } from "../../src/store/types.ts";
import { startWsRelay, type WsRelay } from "./ws_relay.ts";

/** Where the test PostgreSQL listens (trust auth). */
export const POSTGRES_ADDRESS = Deno.env.get("TEST_POSTGRES_ADDRESS") ?? "127.0.0.1:5432";
const ADMIN_URL = `postgres://postgres@${POSTGRES_ADDRESS}/postgres`;

/** A throwaway database, dropped on dispose. */
export interface TestDatabase extends AsyncDisposable {
  /** Connection string for `DATABASE_URL`. */
  url: string;
  /** The relay, for `DATABASE_WS_PROXY` and for fault injection. */
  relay: WsRelay;
  /** Opens a client to it through the relay (the production driver path). */
  connect(): SqlClient;
}

/** Creates an empty database behind its own relay. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const relay = startWsRelay(POSTGRES_ADDRESS);
  const name = `rr_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = openNeon({
    connectionString: ADMIN_URL,
    wsProxy: relay.address,
    maxConnections: 1,
  });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = `postgres://postgres@${POSTGRES_ADDRESS}/${name}`;
  return {
    url,
    relay,
    connect: () => openNeon({ connectionString: url, wsProxy: relay.address }),
    async [Symbol.asyncDispose]() {
      relay.setPaused(false);
      relay.setRefusing(false);
      const cleanup = openNeon({
        connectionString: ADMIN_URL,
        wsProxy: relay.address,
        maxConnections: 1,
      });
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.close();
        await relay[Symbol.asyncDispose]();
      }
    },
  };
}
