/**
 * The WebSocket→TCP relay in its own process, so the Neon driver reaches the local PostgreSQL
 * the way it reaches Neon, without the relay sharing the benchmark runner's event loop.
 *
 * @module
 */
import { startWsRelay } from "../../tests/helpers/ws_relay.ts";

const relay = startWsRelay(Deno.args[0] ?? "127.0.0.1:5432");
console.log(`relay ${relay.address}`);
