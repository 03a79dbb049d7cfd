/** The lease policy against every bad lease issue 17 saw a rogue server hand out. */
import assert from "node:assert/strict";
import type { Lease } from "../../netns/mod.ts";
import { leasePolicyProblems, MAX_LEASE_ROUTES } from "./lease_policy.ts";

const PROTECTION = {
  clusterRanges: ["10.43.0.0/16", "10.42.0.0/16"],
  nodeAddresses: ["192.168.1.10"],
  allowLinkLocal: false,
};

function lease(extra: Partial<Lease>): Lease {
  return {
    address: "10.79.3.20/24",
    gateway: "10.79.3.1",
    routes: [],
    dns: [],
    domain: null,
    leaseSeconds: 3600,
    serverId: "10.79.3.1",
    obtainedAt: "2026-12-02T00:00:00Z",
    ...extra,
  };
}

const refused = (l: Lease) => leasePolicyProblems(l, PROTECTION).join("; ");

Deno.test("lease policy: a sane lease with a default and an NI route passes", () => {
  assert.deepEqual(
    leasePolicyProblems(
      lease({
        routes: [{ dst: "0.0.0.0/0", via: "10.79.3.1" }, { dst: "172.20.0.0/16", via: "0.0.0.0" }],
      }),
      PROTECTION,
    ),
    [],
  );
});

Deno.test("lease policy: addresses that are no unicast host address are refused", () => {
  for (
    const [address, why] of [
      ["127.0.0.1/8", /loopback/],
      ["224.0.0.1/4", /multicast/],
      ["255.255.255.255/32", /broadcast/],
      ["0.0.0.0/0", /unspecified/],
      ["169.254.10.10/16", /link-local/],
      ["10.79.3.0/24", /network or broadcast/],
      ["10.79.3.255/24", /network or broadcast/],
      ["10.79.3.20/4", /wider than \/8/],
      ["192.168.1.10/24", /node's own/],
      ["10.43.0.10/24", /cluster range 10\.43/],
    ] as const
  ) {
    assert.match(refused(lease({ address, gateway: null })), why, address);
  }
  assert.deepEqual(
    leasePolicyProblems(lease({ address: "169.254.10.10/16", gateway: null }), {
      ...PROTECTION,
      allowLinkLocal: true,
    }),
    [],
  );
});

Deno.test("lease policy: gateways must be unicast and on-link", () => {
  assert.match(refused(lease({ gateway: "255.255.255.255" })), /gateway .* broadcast/);
  assert.match(refused(lease({ gateway: "10.80.0.1" })), /not on the lease's subnet/);
  assert.match(refused(lease({ gateway: "10.79.3.20" })), /pod's own address/);
  assert.match(
    refused(lease({ routes: [{ dst: "0.0.0.0/0", via: "255.255.255.255" }] })),
    /route 0\.0\.0\.0\/0 via 255\.255\.255\.255 is broadcast/,
  );
});

Deno.test("lease policy: routes into the cluster's ranges or the node, and too many, are refused", () => {
  const hijack = refused(lease({
    routes: [
      { dst: "10.43.0.0/17", via: "10.79.3.1" },
      { dst: "10.43.128.0/17", via: "10.79.3.1" },
      { dst: "10.0.0.0/8", via: "10.79.3.1" },
      { dst: "192.168.1.10/32", via: "10.79.3.1" },
    ],
  }));
  assert.match(hijack, /route 10\.43\.0\.0\/17 overlaps 10\.43\.0\.0\/16/);
  assert.match(hijack, /route 10\.43\.128\.0\/17 overlaps 10\.43\.0\.0\/16/);
  assert.match(hijack, /route 10\.0\.0\.0\/8 overlaps 10\.42\.0\.0\/16/);
  assert.match(hijack, /route 192\.168\.1\.10\/32 overlaps node 192\.168\.1\.10/);
  const many = Array.from({ length: MAX_LEASE_ROUTES + 1 }, (_, i) => ({
    dst: `172.20.${i}.0/24`,
    via: "10.79.3.1",
  }));
  assert.match(refused(lease({ routes: many })), /more than 16/);
});
