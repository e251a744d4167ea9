/**
 * PostgreSQL through `@neondatabase/serverless` (a pooled WebSocket connection), used whenever
 * `DATABASE_URL` is set: Neon in production, or plain PostgreSQL behind a WebSocket relay.
 *
 * @module
 */
import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { CoalescingWebSocket } from "./coalescing_websocket.ts";
import type { SqlClient } from "./types.ts";

// One WebSocket frame per query, without the driver's timer (see coalescing_websocket.ts).
neonConfig.webSocketConstructor = CoalescingWebSocket;
neonConfig.coalesceWrites = false;

/** Options of {@linkcode openNeon}. */
export interface NeonOptions {
  /** `postgres://…` connection string. */
  connectionString: string;
  /**
   * `host:port` of a WebSocket relay in front of plain PostgreSQL (no TLS on the socket). Unset
   * for Neon itself.
   */
  wsProxy?: string;
  /** Pool size. */
  maxConnections?: number;
  /** Connection time limit. */
  connectTimeoutMs?: number;
  /**
   * Server-side limit on each statement and on idling inside a transaction (the store deadline),
   * so a statement the caller gave up on stops and releases its row locks.
   */
  timeoutMs?: number;
}

/** Opens a connection pool. Nothing connects until the first query. */
export function openNeon(options: NeonOptions): SqlClient {
  if (options.wsProxy) {
    const proxy = options.wsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    // Local SCRAM logins break when the startup message is pipelined with the password.
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on(
    "error",
    (error: Error) => console.error(`database: idle connection lost (${error.message})`),
  );
  if (options.timeoutMs !== undefined) {
    const ms = Math.max(1, Math.round(options.timeoutMs));
    // Queued on the new connection ahead of the query that asked for it. A plain SET, which Neon's
    // proxy passes through (unlike some startup parameters). If it fails, so will that query.
    pool.on("connect", (client: PoolClient) => {
      client.query(
        `SET statement_timeout = ${ms}; SET idle_in_transaction_session_timeout = ${ms}`,
      ).catch(() => {});
    });
  }
  return {
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await pool.query(sql, params)).rows as Row[],
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          query: async <Row>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params)).rows as Row[],
          exec: async (script: string) => {
            await client.query(script);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
