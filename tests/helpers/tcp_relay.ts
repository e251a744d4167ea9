/**
 * A loopback TCP relay in front of PostgreSQL, so a test can do to the `pg` driver's connections
 * what the WebSocket relay (ws_relay.ts) does to the Neon driver's: hold their bytes (a database
 * slow past any deadline), cut them (an outage mid-run), refuse new ones (the database is down).
 * It forwards bytes as they come, to one address only; the driver speaks PostgreSQL's protocol
 * through it unchanged.
 *
 * @module
 */
import type { DatabaseRelay } from "./relay.ts";

/** Starts a relay to `target` (`host:port`) on a free loopback port. */
export function startTcpRelay(target = "127.0.0.1:5432"): DatabaseRelay {
  const split = target.lastIndexOf(":");
  const to = { hostname: target.slice(0, split), port: Number(target.slice(split + 1)) };
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.TcpConn>();
  const running = new Set<Promise<void>>();
  let paused = false;
  let refusing = false;
  let accepted = 0;
  let received = 0;
  const waiters: (() => void)[] = [];
  const whilePaused = async () => {
    while (paused) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const close = (conn: Deno.TcpConn) => {
    if (!open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  /** Copies `from` to `to` chunk by chunk, each held while paused; either end closing ends both. */
  const pump = async (from: Deno.TcpConn, to: Deno.TcpConn, fromClient: boolean) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
        if (fromClient) received++;
        await whilePaused();
        const chunk = buffer.subarray(0, n);
        for (let offset = 0; offset < n;) offset += await to.write(chunk.subarray(offset));
      }
    } catch { /* cut, or the other end went away */ }
    close(from);
    close(to);
  };
  const track = (work: Promise<void>) => {
    running.add(work);
    work.finally(() => running.delete(work));
  };
  const relayOne = async (client: Deno.TcpConn) => {
    open.add(client);
    if (refusing) return close(client);
    accepted++;
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect(to);
    } catch {
      return close(client);
    }
    open.add(server);
    client.setNoDelay(true);
    server.setNoDelay(true);
    // Cut while connecting: the new connection goes too.
    if (!open.has(client)) return close(server);
    await Promise.all([pump(client, server, true), pump(server, client, false)]);
  };
  track((async () => {
    try {
      for await (const client of listener) track(relayOne(client));
    } catch { /* the listener closed */ }
  })());
  const { port } = listener.addr as Deno.NetAddr;
  return {
    address: `127.0.0.1:${port}`,
    cutConnections() {
      for (const conn of [...open]) close(conn);
    },
    setPaused(value) {
      paused = value;
      if (!value) { for (const wake of waiters.splice(0)) wake(); }
    },
    setRefusing(value) {
      refusing = value;
    },
    get accepted() {
      return accepted;
    },
    get received() {
      return received;
    },
    async [Symbol.asyncDispose]() {
      this.setPaused(false);
      try {
        listener.close();
      } catch { /* already closed */ }
      this.cutConnections();
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
