import assert from "node:assert/strict";
import { type RoutingFacts, routingProblems } from "./routing_problems.ts";
import type { RoutingRecord } from "./routing_record.ts";

const RECORD: RoutingRecord = {
  version: 1,
  containerID: "c1",
  ifname: "net1",
  network: "ni-local",
  netnsPath: "/var/run/netns/pod",
  podName: "nginx-1a2b3-x7k2p",
  hostEnd: "bn1",
  hostNetns: null,
  intent: {
    table: 101,
    hijackSubnets: ["10.43.0.0/16"],
    rpFilter: 2,
    neighbours: true,
    macPrefix: null,
  },
  applied: {
    addresses: ["10.78.1.50/24"],
    mac: null,
    rules: [{ src: "10.78.1.50/32", table: 101, priority: 1000 }],
    tableRoutes: [{ dst: "10.78.1.0/24", gateway: null }, { dst: "default", gateway: "10.78.1.1" }],
    hijackRoutes: [
      { dst: "10.43.0.0/16", gateway: "10.42.0.1", dev: "eth0", table: "main" },
      { dst: "10.43.0.0/16", gateway: "10.42.0.1", dev: "eth0", table: "101" },
    ],
    skipped: [],
    podNeighbours: [{ ip: "10.78.1.1", dev: "net1", mac: "02:00:00:00:0b:01" }],
    hostNeighbours: [{ ip: "10.78.1.50", dev: "bn1", mac: "02:16:3e:78:01:01" }],
  },
  updatedAt: "2026-12-01T00:00:00.000Z",
};

/** What the kernel shows when the record holds. */
function facts(): RoutingFacts {
  return {
    pod: {
      links: [{ name: "net1", mac: "02:16:3e:78:01:01" }],
      addresses: [{ ifname: "net1", cidr: "10.78.1.50/24" }],
      routes: [
        { dst: "10.43.0.0/16", gateway: "10.42.0.1", dev: "eth0", table: null },
        { dst: "10.43.0.0/16", gateway: "10.42.0.1", dev: "eth0", table: "101" },
        { dst: "10.78.1.0/24", gateway: null, dev: "net1", table: "101" },
        { dst: "default", gateway: "10.78.1.1", dev: "net1", table: "101" },
        { dst: "fe80::/64", gateway: null, dev: "net1", table: null },
      ],
      rules: [{ src: "10.78.1.50", table: "101", priority: 1000 }],
      neighbours: [{
        ip: "10.78.1.1",
        dev: "net1",
        mac: "02:00:00:00:0b:01",
        state: ["PERMANENT"],
      }],
      rpFilter: { all: 0, own: 2 },
    },
    hostNeighbours: [{
      ip: "10.78.1.50",
      dev: "bn1",
      mac: "02:16:3e:78:01:01",
      state: ["PERMANENT"],
    }],
  };
}

Deno.test("routingProblems: none while the kernel holds the record", () => {
  assert.deepEqual(routingProblems(RECORD, facts()), []);
});

Deno.test("routingProblems: each drift in one sentence", () => {
  const f = facts();
  f.pod.rules = [];
  f.pod.routes = [
    ...f.pod.routes.filter((r) => r.dst !== "default"),
    { dst: "10.78.1.0/24", gateway: null, dev: "net1", table: null },
  ];
  f.pod.neighbours = [{ ip: "10.78.1.1", dev: "net1", mac: "02:00:00:00:0b:01", state: ["STALE"] }];
  f.pod.rpFilter = { all: 1, own: 2 };
  f.hostNeighbours = [];
  assert.deepEqual(routingProblems(RECORD, f), [
    'Rule "from 10.78.1.50/32 lookup 101 pref 1000" is missing',
    'Route default via 10.78.1.1 dev "net1" is missing from table 101',
    'Main table still routes 10.78.1.0/24 via "net1" (table 101 should)',
    'Pod neighbour 10.78.1.1 on "net1" is STALE, expected PERMANENT',
    'Host neighbour 10.78.1.50 on "bn1" is missing',
  ]);
  const moved = facts();
  moved.pod.addresses = [{ ifname: "net1", cidr: "10.78.1.70/24" }];
  moved.pod.rpFilter = { all: 0, own: 0 };
  assert.deepEqual(routingProblems(RECORD, moved), [
    'The policy was applied for 10.78.1.50/24, "net1" has 10.78.1.70/24',
    'rp_filter of "net1" is 0 (all 0, own 0), expected 2',
  ]);
  assert.deepEqual(routingProblems(RECORD, { ...facts(), pod: { ...facts().pod, links: [] } }), [
    'Interface "net1" is missing',
  ]);
});
