/**
 * PostgreSQL through `@neondatabase/serverless` over a WebSocket (`DATABASE_DRIVER=neon`): for
 * runtimes without outbound TCP, reaching Neon through its WebSocket proxy, or plain PostgreSQL
 * behind a WebSocket→TCP relay (`DATABASE_WS_PROXY`). Only the driver's settings are here; the
 * pool the kit runs over it is pg_pool.ts, the same as over TCP.
 *
 * @module
 */
import { Client, defaults, neonConfig, Pool, types } from "@neondatabase/serverless";
import { CoalescingWebSocket } from "./coalescing_websocket.ts";
import { openPgPool, type PgDriver, type PgPoolOptions } from "./pg_pool.ts";
import type { SqlClient } from "./types.ts";

// One WebSocket frame per query, without the driver's timer (see coalescing_websocket.ts).
neonConfig.webSocketConstructor = CoalescingWebSocket;
neonConfig.coalesceWrites = false;

/** The Neon driver, as the shared pool uses it (its `Pool` is a fork of node-postgres's). */
const NEON: PgDriver = { Pool, Client, types, defaults };

/** Options of {@linkcode openNeon}. */
export interface NeonOptions extends PgPoolOptions {
  /**
   * `host:port` of a WebSocket relay in front of plain PostgreSQL (no TLS on the socket). Unset
   * for Neon itself.
   */
  wsProxy?: string;
}

/** Opens a connection pool over WebSockets. Nothing connects until the first query. */
export function openNeon(options: NeonOptions): SqlClient {
  if (options.wsProxy) {
    const proxy = options.wsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    // Local SCRAM logins break when the startup message is pipelined with the password.
    neonConfig.pipelineConnect = false;
  }
  return openPgPool(NEON, options);
}
