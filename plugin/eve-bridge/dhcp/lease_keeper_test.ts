import assert from "node:assert/strict";
import { silentLogger } from "../../cni/mod.ts";
import type { LeaseRecord } from "../../../core/eve/mod.ts";
import { latestLease, sameAddressing, type StartedClient, waitFirstLease } from "./lease_keeper.ts";

function event(kind: string, ip: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    event: kind,
    interface: "net1",
    ip,
    mask: ip === "" ? "" : "24",
    subnet: "",
    router: ip === "" ? "" : "10.77.1.1",
    dns: "",
    domain: "",
    staticroutes: "",
    lease: "3600",
    serverid: "",
    time: "1700000000",
    uptime: "",
    ...extra,
  });
}

async function withEvents(
  lines: string[],
  fn: (client: StartedClient) => Promise<void>,
  exited: Promise<unknown> = new Promise(() => {}),
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eve-bridge-lease-" });
  try {
    const eventFile = `${dir}/net1.events`;
    await Deno.writeTextFile(eventFile, lines.map((l) => `${l}\n`).join(""));
    await fn({
      // Never signalled: retries stay 0 in these tests.
      record: { pid: 999999, eventFile, pidFile: `${dir}/net1.pid`, hookScript: "/h" },
      exited,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("latestLease: the newest bound/renew event wins; deconfig/nak do not count", async () => {
  await withEvents([
    event("deconfig", ""),
    event("bound", "10.77.1.50"),
    event("nak", "0.0.0.0"),
    event("deconfig", ""),
    event("bound", "10.77.1.60"),
    event("deconfig", ""),
  ], async (client) => {
    assert.equal((await latestLease(client.record.eventFile))?.address, "10.77.1.60/24");
    assert.equal(await latestLease(client.record.eventFile, 6), undefined);
  });
  assert.equal(await latestLease("/nonexistent/net1.events"), undefined);
});

Deno.test("waitFirstLease: returns the lease the hook reported", async () => {
  await withEvents([event("deconfig", ""), event("bound", "10.77.1.50")], async (client) => {
    const lease = await waitFirstLease(
      client,
      { timeoutSeconds: 1, retries: 0 },
      "net1",
      silentLogger,
    );
    assert.deepEqual(
      [lease.address, lease.gateway, lease.leaseSeconds],
      ["10.77.1.50/24", "10.77.1.1", 3600],
    );
  });
});

Deno.test("waitFirstLease: garbage from the server, an exited client, silence: code 106", async () => {
  await withEvents([event("bound", "10.77.1.50", { mask: "99" })], async (client) => {
    await assert.rejects(
      waitFirstLease(client, { timeoutSeconds: 1, retries: 0 }, "net1", silentLogger),
      (e: { code: number; msg: string }) =>
        e.code === 106 && e.msg === `The DHCP server's answer on "net1" is not a usable lease`,
    );
  });
  await withEvents([event("deconfig", "")], async (client) => {
    await assert.rejects(
      waitFirstLease(client, { timeoutSeconds: 5, retries: 0 }, "net1", silentLogger),
      (e: { code: number; msg: string }) =>
        e.code === 106 && e.msg === 'udhcpc exited before it obtained a lease on "net1"',
    );
  }, Promise.resolve());
  await withEvents([event("deconfig", "")], async (client) => {
    await assert.rejects(
      waitFirstLease(client, { timeoutSeconds: 1, retries: 0 }, "net1", silentLogger),
      (e: { code: number; msg: string }) =>
        e.code === 106 && e.msg === 'No DHCP lease on "net1" within 1 attempt(s) of 1 s',
    );
  });
});

Deno.test("sameAddressing: address, gateway and routes, not the lease times", () => {
  const a: LeaseRecord = {
    address: "10.77.1.50/24",
    gateway: "10.77.1.1",
    routes: [],
    dns: [],
    domain: null,
    leaseSeconds: 3600,
    serverId: null,
    obtainedAt: "2026-01-01T00:00:00.000Z",
  };
  assert.ok(sameAddressing(a, { ...a, leaseSeconds: 60, obtainedAt: "2027-01-01T00:00:00Z" }));
  assert.ok(!sameAddressing(a, { ...a, address: "10.77.1.60/24" }));
  assert.ok(!sameAddressing(a, { ...a, gateway: null }));
  assert.ok(!sameAddressing(a, { ...a, routes: [{ dst: "0.0.0.0/0", via: "10.77.1.1" }] }));
});
