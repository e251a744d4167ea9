/**
 * What is particular to `pg` over TCP (everything else it shares with the Neon driver is in
 * pg_pool_test.ts): TLS is what the URL's `sslmode` asks, and a login that fails or a server
 * that is not there is a plain failure that never carries the password.
 *
 * @module
 */
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { openTcp } from "./tcp.ts";
import { type StoreError, storeFailure } from "./types.ts";
import { createTestDatabase } from "../../tests/helpers/postgres.ts";

const TLS = new URL("../../tests/fixtures/tls/", import.meta.url);

/** The failure `sql`'s first call ends in, as the store reports it. */
async function firstCallFailure(url: string): Promise<StoreError> {
  const sql = openTcp({ connectionString: url, connectTimeoutMs: 2_000 });
  try {
    const error = await assertRejects(() => sql.query("SELECT 1"));
    return storeFailure(error);
  } finally {
    await sql.close();
  }
}

/**
 * A TLS endpoint on `hostname` that passes the decrypted bytes on to `target`: PostgreSQL's
 * direct TLS negotiation (ALPN `postgresql`), with the test CA's certificate for localhost and
 * 127.0.0.1.
 */
async function tlsFront(hostname: string, target: string): Promise<{ port: number } & Disposable> {
  const [cert, key] = await Promise.all(
    ["localhost.pem", "localhost-key.pem"].map((f) => Deno.readTextFile(new URL(f, TLS))),
  );
  const listener = Deno.listenTls({ hostname, port: 0, cert, key, alpnProtocols: ["postgresql"] });
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), target.split(":").pop()];
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      open.add(conn);
      try {
        const server = await Deno.connect({ hostname: host, port: Number(port) });
        open.add(server);
        conn.readable.pipeTo(server.writable).catch(() => {});
        server.readable.pipeTo(conn.writable).catch(() => {});
      } catch {
        conn.close();
      }
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    [Symbol.dispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    },
  };
}

/**
 * A stand-in PostgreSQL that asks for a password and refuses it, as a server does for a wrong
 * one (SQLSTATE 28P01); it answers `N` to a TLS request first, as a server without TLS does.
 */
function refusingLogins(): { port: number; passwords: string[] } & Disposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const passwords: string[] = [];
  const int32 = (n: number) =>
    new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const message = (type: string, body: Uint8Array) =>
    new Uint8Array([type.charCodeAt(0), ...int32(body.length + 4), ...body]);
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const read = async (n: number) => {
          const buffer = new Uint8Array(n);
          for (let at = 0; at < n;) {
            const got = await conn.read(buffer.subarray(at));
            if (got === null) throw new Error("closed");
            at += got;
          }
          return buffer;
        };
        const length = (b: Uint8Array) => new DataView(b.buffer).getInt32(0);
        let startup = await read(length(await read(4)) - 4);
        if (new DataView(startup.buffer).getInt32(0) === 80877103) {
          await conn.write(new TextEncoder().encode("N"));
          startup = await read(length(await read(4)) - 4);
        }
        await conn.write(message("R", int32(3))); // AuthenticationCleartextPassword
        const [type] = await read(1);
        const password = await read(length(await read(4)) - 4);
        if (type === "p".charCodeAt(0)) {
          passwords.push(new TextDecoder().decode(password.subarray(0, -1)));
        }
        const fields = 'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"\0\0';
        await conn.write(message("E", new TextEncoder().encode(fields)));
      })().catch(() => {}).finally(() => {
        conns.delete(conn);
        conn.close();
      });
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    passwords,
    [Symbol.dispose]() {
      listener.close();
      for (const conn of conns) conn.close();
    },
  };
}

Deno.test("tcp: TLS is what the URL's sslmode asks for", async (t) => {
  await using db = await createTestDatabase({ driver: "tcp" });
  const { host: relay, pathname } = new URL(db.url.replace(/^postgres:/, "http:"));
  const user = new URL(db.url.replace(/^postgres:/, "http:")).username;

  await t.step(
    "sslmode=require to a server without TLS: refused, never sent in clear",
    async () => {
      const error = await firstCallFailure(`${db.url}?sslmode=require`);
      assertEquals(error.code, "unavailable");
      assertStringIncludes(error.message, "does not support SSL");
    },
  );

  await t.step("sslmode=verify-full to a trusted certificate: answered over TLS", async () => {
    using front = await tlsFront("127.0.0.1", relay);
    for (const host of ["localhost", "127.0.0.1"]) {
      const sql = openTcp({
        connectionString:
          `postgres://${user}@${host}:${front.port}${pathname}?sslmode=verify-full&sslnegotiation=direct`,
      });
      try {
        assertEquals(await sql.query("SELECT 1 AS one"), [{ one: 1 }]);
      } finally {
        await sql.close();
      }
    }
  });

  await t.step("a certificate that does not name the host: refused", async () => {
    using front = await tlsFront("127.0.0.2", relay);
    const error = await firstCallFailure(
      `postgres://${user}@127.0.0.2:${front.port}${pathname}?sslmode=verify-full&sslnegotiation=direct`,
    );
    assertEquals(error.code, "unavailable");
    assertStringIncludes(error.message, "127.0.0.2");
  });
});

Deno.test("tcp: a refused login or a server not there fails plainly, without the password", async (t) => {
  const secret = "s3cret-Pa55word";
  await t.step("a wrong password: the server's words and SQLSTATE 28P01", async () => {
    using server = refusingLogins();
    const error = await firstCallFailure(`postgres://app:${secret}@127.0.0.1:${server.port}/app`);
    assertEquals([error.code, error.sqlstate], ["broken", "28P01"]);
    assertStringIncludes(error.message, "password authentication failed");
    assertEquals(server.passwords, [secret], "the driver sent the password it was given");
    assertEquals(`${error.message} ${error.stack}`.includes(secret), false);
  });
  await t.step("nothing listening, or no such host: unavailable", async () => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = closed.addr as Deno.NetAddr;
    closed.close();
    for (const host of [`127.0.0.1:${port}`, "no-such-host.invalid"]) {
      const error = await firstCallFailure(`postgres://app:${secret}@${host}/app`);
      assertEquals(error.code, "unavailable", error.message);
      assertEquals(`${error.message} ${error.stack}`.includes(secret), false, error.message);
    }
  });
});

Deno.test("statements with parameters are prepared once per connection, unless turned off", async () => {
  await using db = await createTestDatabase({ driver: "tcp" });
  const prepared = async (preparedStatements: boolean) => {
    const sql = openTcp({ connectionString: db.url, maxConnections: 1, preparedStatements });
    try {
      for (let i = 0; i < 3; i++) {
        assertEquals(await sql.query("SELECT $1::int + 1 AS n", [i]), [{ n: i + 1 }]);
      }
      const [{ n }] = await sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int%'",
      );
      return n;
    } finally {
      await sql.close();
    }
  };
  assertEquals(await prepared(true), 1);
  assertEquals(await prepared(false), 0);
});
