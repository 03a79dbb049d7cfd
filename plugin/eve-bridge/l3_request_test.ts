import assert from "node:assert/strict";
import type { LeaseRecord } from "../../core/eve/mod.ts";
import { l3Fields, leaseRoutes } from "./l3_request.ts";

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
