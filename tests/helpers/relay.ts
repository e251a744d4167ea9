/**
 * What a relay in front of the test PostgreSQL offers the tests, whichever driver it serves (the
 * WebSocket one for the Neon driver, ws_relay.ts; the TCP one for `pg`, tcp_relay.ts): its address,
 * and the faults a test injects through it.
 *
 * @module
 */

/** A running relay to one PostgreSQL address. */
export interface DatabaseRelay extends AsyncDisposable {
  /** `host:port` to reach it at (`DATABASE_WS_PROXY`, or the host of a tcp `DATABASE_URL`). */
  readonly address: string;
  /** Closes every open connection now (an outage mid-run). New ones are still accepted. */
  cutConnections(): void;
  /** While paused, new and existing connections forward nothing (a database slow past any deadline). */
  setPaused(paused: boolean): void;
  /** Refuses new connections until allowed again (the database is down). */
  setRefusing(refusing: boolean): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Messages (WebSocket) or reads (TCP) received from clients so far, held ones included. */
  readonly received: number;
}
