import { assertEquals } from "@std/assert";
import { isPublicAddress, outboundHostProblem } from "./address_guard.ts";

Deno.test("only public unicast addresses count as public", async (t) => {
  const cases: [string, boolean][] = [
    ["8.8.8.8", true],
    ["2606:4700:4700::1111", true],
    ["127.0.0.1", false],
    ["10.1.2.3", false],
    ["172.16.0.1", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["224.0.0.1", false],
    ["255.255.255.255", false],
    ["::1", false],
    ["::", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["::7f00:1", false],
    ["fe80::1", false],
    ["fc00::1", false],
    ["ff02::1", false],
    ["2001:db8::1", false],
    ["64:ff9b::a00:1", false],
    ["not-an-address", false],
  ];
  for (const [address, expected] of cases) {
    await t.step(
      `${address} → ${expected}`,
      () => assertEquals(isPublicAddress(address), expected),
    );
  }
  await t.step(
    "literal hosts are judged without DNS; the allowlist opens one host only",
    async () => {
      assertEquals(
        await outboundHostProblem("[::1]", []),
        "points at a private, loopback or reserved address",
      );
      assertEquals(await outboundHostProblem("127.0.0.1", ["127.0.0.1"]), null);
      assertEquals(
        await outboundHostProblem("127.0.0.2", ["127.0.0.1"]),
        "points at a private, loopback or reserved address",
      );
    },
  );
});
