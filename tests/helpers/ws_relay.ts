/**
 * A loopback WebSocket→TCP relay so the Neon serverless driver (which speaks WebSocket) reaches
 * plain PostgreSQL, as Neon's own proxy does in production. It forwards to one allow-listed address
 * only, and can be paused (to simulate a slow database) or cut (an outage) for fault injection.
 *
 * @module
 */

import type { DatabaseRelay } from "./relay.ts";

/** A running WebSocket relay (see relay.ts for what each member does). */
export type WsRelay = DatabaseRelay;

/** Starts a relay to `target` (`host:port`). */
export function startWsRelay(target = "127.0.0.1:5432"): WsRelay {
  const [hostname, port] = [
    target.slice(0, target.lastIndexOf(":")),
    Number(target.slice(target.lastIndexOf(":") + 1)),
  ];
  const open = new Set<{ socket: WebSocket; tcp: Deno.TcpConn }>();
  let paused = false;
  let refusing = false;
  let accepted = 0;
  let received = 0;
  const waiters: (() => void)[] = [];
  const whilePaused = async () => {
    while (paused) await new Promise<void>((resolve) => waiters.push(resolve));
  };

  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    if (request.headers.get("upgrade") !== "websocket") {
      return new Response("relay", { status: 426 });
    }
    // The driver names the address it wants; anything but the one allowed target is refused.
    const wanted = new URL(request.url).searchParams.get("address");
    if (wanted && wanted !== target) return new Response("address not allowed", { status: 403 });
    if (refusing) return new Response("database unavailable", { status: 503 });
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    accepted++;
    const pending: Uint8Array[] = [];
    let tcp: Deno.TcpConn | undefined;
    let entry: { socket: WebSocket; tcp: Deno.TcpConn } | undefined;
    const close = () => {
      try {
        socket.close();
      } catch { /* already closed */ }
      try {
        tcp?.close();
      } catch { /* already closed */ }
      if (entry) open.delete(entry);
    };
    const writeAll = async (data: Uint8Array) => {
      await whilePaused();
      for (let offset = 0; offset < data.length;) offset += await tcp!.write(data.subarray(offset));
    };
    let chain = Promise.resolve();
    socket.onmessage = (event) => {
      const data = new Uint8Array(event.data as ArrayBuffer);
      received++;
      if (!tcp) pending.push(data);
      else chain = chain.then(() => writeAll(data)).catch(close);
    };
    socket.onclose = close;
    socket.onerror = close;
    socket.onopen = async () => {
      try {
        tcp = await Deno.connect({ hostname, port });
        tcp.setNoDelay(true);
      } catch {
        close();
        return;
      }
      entry = { socket, tcp };
      open.add(entry);
      for (const data of pending.splice(0)) chain = chain.then(() => writeAll(data)).catch(close);
      (async () => {
        const buffer = new Uint8Array(64 * 1024);
        try {
          while (true) {
            const n = await tcp!.read(buffer);
            if (n === null) break;
            await whilePaused();
            if (socket.readyState !== WebSocket.OPEN) break;
            socket.send(buffer.slice(0, n));
          }
        } catch { /* connection cut */ }
        close();
      })();
    };
    return response;
  });

  return {
    address: `127.0.0.1:${server.addr.port}`,
    cutConnections() {
      for (const { socket, tcp } of [...open]) {
        try {
          tcp.close();
        } catch { /* closed */ }
        try {
          socket.close();
        } catch { /* closed */ }
      }
      open.clear();
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
      this.cutConnections();
      await server.shutdown();
    },
  };
}
