import assert from "node:assert/strict";
import type { LeaseRecord } from "../../core/eve/mod.ts";
import { l3Fields, leaseRoutes } from "./l3_request.ts";
import { mergeResults, podResult } from "./pod_result.ts";

const LEASE: LeaseRecord = {
  address: "10.77.1.50/24",
  gateway: "10.77.1.1",
  routes: [],
  dns: ["10.77.1.1"],
  domain: null,
  leaseSeconds: 3600,
  serverId: "10.77.1.1",
  obtainedAt: "2026-01-01T00:00:00.000Z",
};

const L2 = {
  interfaces: [
    { name: "bn1", mac: "02:00:00:00:00:01", netNsPath: "" },
    { name: "nbu1x1", mac: null, netNsPath: "" },
    { name: "net1", mac: "02:16:3e:77:00:01", netNsPath: "/var/run/netns/p" },
  ],
};

Deno.test("leaseRoutes: a router alone gives a default route", () => {
  assert.deepEqual(leaseRoutes(LEASE), [{ dst: "0.0.0.0/0", gw: "10.77.1.1" }]);
});

Deno.test("leaseRoutes: no router and no option 121 gives no route at all", () => {
  assert.deepEqual(leaseRoutes({ ...LEASE, gateway: null }), []);
});

Deno.test("leaseRoutes: option 121 wins over the router (RFC 3442); 0.0.0.0 is on-link", () => {
  const lease = {
    ...LEASE,
    routes: [
      { dst: "10.99.0.0/16", via: "10.77.1.254" },
      { dst: "10.77.2.0/24", via: "0.0.0.0" },
    ],
  };
  assert.deepEqual(leaseRoutes(lease), [
    { dst: "10.99.0.0/16", gw: "10.77.1.254" },
    { dst: "10.77.2.0/24", gw: null },
  ]);
});

Deno.test("l3Fields: address with gateway, DNS with nil slices as Go expects", () => {
  assert.deepEqual(l3Fields({ ...LEASE, domain: "lan" }), {
    ips: [{ address: "10.77.1.50/24", gateway: "10.77.1.1" }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.77.1.1" }],
    dns: { nameservers: ["10.77.1.1"], domain: "lan", search: null, options: null },
  });
  assert.deepEqual(l3Fields({ ...LEASE, dns: [], gateway: null }).dns.nameservers, null);
  assert.deepEqual(l3Fields({ ...LEASE, gateway: null }).ips, [
    { address: "10.77.1.50/24", gateway: null },
  ]);
});

Deno.test("podResult: sandbox on the pod end, ips point at it, no mac for a null MAC", () => {
  const result = podResult(L2, "net1", "/var/run/netns/p", LEASE);
  assert.deepEqual(result.interfaces, [
    { name: "bn1", mac: "02:00:00:00:00:01" },
    { name: "nbu1x1" },
    { name: "net1", mac: "02:16:3e:77:00:01", sandbox: "/var/run/netns/p" },
  ]);
  assert.deepEqual(result.ips, [{ address: "10.77.1.50/24", gateway: "10.77.1.1", interface: 2 }]);
  assert.deepEqual(result.routes, [{ dst: "0.0.0.0/0", gw: "10.77.1.1" }]);
  assert.deepEqual(result.dns, { nameservers: ["10.77.1.1"] });
});

Deno.test("podResult: L2-only lists the interfaces and nothing else", () => {
  const result = podResult(L2, "net1", "/var/run/netns/p", null);
  assert.equal(result.interfaces.length, 3);
  assert.deepEqual([result.ips, result.routes, result.dns], [[], [], {}]);
});

Deno.test("podResult: a zedrouter that does not echo the pod end still yields one", () => {
  const result = podResult({ interfaces: null }, "net1", "/proc/9/ns/net", LEASE);
  assert.deepEqual(result.interfaces, [{ name: "net1", sandbox: "/proc/9/ns/net" }]);
  assert.equal(result.ips[0]?.interface, 0);
});

Deno.test("mergeResults: earlier entries first, our indices shifted, their DNS kept", () => {
  const prev = {
    interfaces: [{ name: "eth9" }],
    ips: [{ address: "192.168.9.2/24", interface: 0 }],
    routes: [{ dst: "192.168.0.0/16" }],
    dns: { nameservers: ["192.168.9.1"] },
  };
  const merged = mergeResults(prev, podResult(L2, "net1", "/var/run/netns/p", LEASE));
  assert.deepEqual(merged.interfaces.map((i) => i.name), ["eth9", "bn1", "nbu1x1", "net1"]);
  assert.deepEqual(merged.ips.map((ip) => [ip.address, ip.interface]), [
    ["192.168.9.2/24", 0],
    ["10.77.1.50/24", 3],
  ]);
  assert.equal(merged.routes.length, 2);
  assert.deepEqual(merged.dns, { nameservers: ["192.168.9.1"] });
  const ours = podResult(L2, "net1", "/var/run/netns/p", LEASE);
  assert.equal(mergeResults(undefined, ours), ours);
  const noDns = mergeResults({ ...prev, dns: {} }, ours);
  assert.deepEqual(noDns.dns, { nameservers: ["10.77.1.1"] });
});
