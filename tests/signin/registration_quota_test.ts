import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { isLoopbackPeer } from "../../src/http/client_address.ts";
import { createRateLimiter } from "../../src/kv/rate_limit.ts";
import { openKvHandle } from "../../src/kv/kv_handle.ts";
import { createSigninLimits } from "../../src/signin/limits.ts";
import {
  ClientError,
  findClient,
  keepClient,
  networkOf,
  registerClient,
  UNUSED_CLIENT_TTL_MS,
} from "../../src/signin/clients.ts";
import { clientMetadataFor } from "../helpers/oauth.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { CALLBACK, register } from "../helpers/signin_flow.ts";

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000; // the start of an hour window
const metadata = (name: string) => ({ ...clientMetadataFor(CALLBACK), client_name: name });
const lookup = { privateHostAllowlist: [] };
const secretsKey = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
  "sign",
  "verify",
]);

async function withKv(work: (handle: Awaited<ReturnType<typeof openKvHandle>>) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const handle = await openKvHandle(`${dir}/kv.sqlite3`);
  try {
    await work(handle);
  } finally {
    handle.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("one address gets its own quota of new clients inside the global cap", async (t) => {
  await withKv(async (handle) => {
    const db = await handle.get();
    const limits = {
      perAddress: createRateLimiter(handle, { scope: "new", limit: 3, windowMs: HOUR }),
      global: createRateLimiter(handle, { scope: "all", limit: 5, windowMs: HOUR }),
    };
    const registerAs = (caller: string, name: string, now = T0) =>
      registerClient(db, metadata(name), { caller, limits, now, secretsKey });

    await t.step("an address past its quota is refused; the global cap is not spent", async () => {
      for (const name of ["a1", "a2", "a3"]) await registerAs("10.0.0.1", name);
      const error = await assertRejects(
        () => registerAs("10.0.0.1", "a4"),
        ClientError,
      ) as ClientError;
      assertEquals([error.status, error.code], [429, "temporarily_unavailable"]);
      assertStringIncludes(error.message, "from this address");
      assert(error.retryAfterSeconds! > 0);
    });
    await t.step("re-registering an existing client never counts", async () => {
      for (let i = 0; i < 5; i++) await registerAs("10.0.0.1", "a1");
    });
    await t.step("other addresses still register, up to the global cap", async () => {
      await registerAs("10.0.0.2", "b1");
      await registerAs("10.0.0.3", "c1");
      const error = await assertRejects(
        () => registerAs("10.0.0.4", "d1"),
        ClientError,
      ) as ClientError;
      assertEquals(error.status, 429);
      assertStringIncludes(error.message, "limit 5");
    });
    await t.step("the next hour has room again", async () => {
      await registerAs("10.0.0.1", "a4", T0 + HOUR);
    });
  });
});

Deno.test("a registration never authorized expires after a day; the first code keeps it", async () => {
  await withKv(async (handle) => {
    const db = await handle.get();
    const limits = {
      perAddress: createRateLimiter(handle, { scope: "new", limit: 10, windowMs: HOUR }),
      global: createRateLimiter(handle, { scope: "all", limit: 100, windowMs: HOUR }),
    };
    const unused = await registerClient(db, metadata("Unused"), {
      caller: "a",
      limits,
      now: T0,
      secretsKey,
    });
    const used = await registerClient(db, metadata("Used"), {
      caller: "a",
      limits,
      now: T0,
      secretsKey,
    });
    const find = (clientId: unknown, now: number) =>
      findClient(db, clientId as string, { ...lookup, now });

    assertEquals(
      (await find(unused.client_id, T0 + UNUSED_CLIENT_TTL_MS - 1)).clientId,
      unused.client_id,
    );
    await keepClient(db, used.client_id as string, T0 + 1_000);
    const later = T0 + UNUSED_CLIENT_TTL_MS + 1;
    const error = await assertRejects(
      () => find(unused.client_id, later),
      ClientError,
    ) as ClientError;
    assertEquals(error.code, "invalid_client");
    assertEquals((await find(used.client_id, later + 30 * 24 * HOUR)).clientId, used.client_id);

    // Registering the expired client's metadata again is a new registration, with a fresh day.
    const again = await registerClient(db, metadata("Unused"), {
      caller: "a",
      limits,
      now: later,
      secretsKey,
    });
    assertEquals(again.client_id, unused.client_id);
    assertEquals((await find(unused.client_id, later + 1)).clientId, unused.client_id);
  });
});

/** POSTs `body` to the `/register` of a server whose public name does not resolve here. */
function registerLocally(server: TestServer, body: unknown) {
  return fetch(`${server.localOrigin}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("in production /register holds loopback to the per-address quota too", async () => {
  // A reverse proxy on the same machine makes every caller loopback: no exemption here.
  await using server = await startTestServer({
    APP_ENV: "production",
    DEV_SIGNIN_ON_DEPLOY: "1",
    PUBLIC_URL: "https://rr.example.test",
    SESSION_SIGNING_SECRET: "s".repeat(32),
  });
  assert(server.config.production);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const response = await registerLocally(server, metadata(`Quota ${i}`));
    statuses.push(response.status);
    if (i === 5) {
      assertStringIncludes((await response.json()).error_description, "from this address");
    } else await response.body?.cancel();
  }
  assertEquals(statuses, [...Array(5).fill(201), 429]);
  const repeat = await registerLocally(server, metadata("Quota 0"));
  assertEquals(repeat.status, 201, "an existing client re-registers without counting");
  await repeat.body?.cancel();
});

Deno.test("in development loopback registers past the address caps, inside the global one", async () => {
  // 12 is above both the per-address (5) and the per-network (10) caps.
  await using server = await startTestServer({ DCR_MAX_PER_HOUR: "12" });
  assert(!server.config.production);
  const statuses: number[] = [];
  for (let i = 0; i < 13; i++) {
    const response = await register(server, metadata(`Builder host ${i}`));
    statuses.push(response.status);
    if (i === 12) {
      const refused = (await response.json()).error_description;
      assertStringIncludes(refused, "limit 12");
      assert(!refused.includes("from this address"), refused);
    } else await response.body?.cancel();
  }
  assertEquals(statuses, [...Array(12).fill(201), 429]);
});

Deno.test("isLoopbackPeer reads only the socket peer: 127/8, ::1, ::ffff:127.x", () => {
  const at = (hostname: string) => ({ remoteAddr: { transport: "tcp", hostname, port: 1 } });
  for (const local of ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1"]) {
    assert(isLoopbackPeer(at(local)), local);
  }
  for (const remote of ["203.0.113.7", "10.0.0.1", "::ffff:203.0.113.7", "2001:db8::1", "::"]) {
    assert(!isLoopbackPeer(at(remote)), remote);
  }
  assert(!isLoopbackPeer(undefined));
  assert(!isLoopbackPeer({ remoteAddr: { transport: "unix", path: "/tmp/s" } }));
});

Deno.test("a handful of addresses cannot spend the hour's registrations", async (t) => {
  await withKv(async (handle) => {
    const db = await handle.get();
    const all = createSigninLimits(handle, 100);
    const limits = {
      perAddress: all.newClientsPerAddress,
      perNetwork: all.newClientsPerNetwork,
      global: all.newClients,
    };
    const registerAs = (caller: string, name: string) =>
      registerClient(db, metadata(name), { caller, limits, now: T0, secretsKey });

    await t.step("10 addresses in 10 networks, 12 new clients each: 5 each are taken", async () => {
      let admitted = 0;
      for (let a = 0; a < 10; a++) {
        for (let i = 0; i < 12; i++) {
          try {
            await registerAs(`198.51.${a}.7`, `spend-${a}-${i}`);
            admitted++;
          } catch (error) {
            assertEquals((error as ClientError).status, 429);
          }
        }
      }
      assertEquals(admitted, 50);
    });
    await t.step("a new address still registers", async () => {
      const client = await registerAs("203.0.113.9", "a real host");
      assert(typeof client.client_id === "string");
    });
    await t.step("addresses of one network share its quota", async () => {
      let admitted = 0;
      for (let a = 1; a <= 5; a++) {
        for (let i = 0; i < 5; i++) {
          await registerAs(`192.0.2.${a}`, `net-${a}-${i}`).then(() => admitted++, () => {});
        }
      }
      assertEquals(admitted, 10);
    });
  });
});

Deno.test("networkOf groups an IPv4 /24 and an IPv6 /48", () => {
  assertEquals(networkOf("198.51.100.7"), "198.51.100.0/24");
  assertEquals(networkOf("2001:db8:1:2::/64"), "2001:db8:1::/48");
  assertEquals(networkOf("unknown"), "unknown");
});
