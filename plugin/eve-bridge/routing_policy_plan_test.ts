import assert from "node:assert/strict";
import type { RouteInfo, RoutingView } from "../../netns/mod.ts";
import { CniError } from "../cni/mod.ts";
import { macFromPrefix, planRouting, SOURCE_RULE_PRIORITY } from "./routing_policy_plan.ts";
import type { HostEnd } from "./routing_policy_neighbours.ts";
import type { RoutingIntent } from "../../core/eve/mod.ts";

const route = (r: Partial<RouteInfo> & { dst: string }): RouteInfo => ({
  gateway: null,
  dev: null,
  scope: null,
  protocol: null,
  metric: null,
  table: null,
  prefsrc: null,
  onlink: false,
  ...r,
});
const connected = (dst: string, dev: string, src: string, table: string | null = null) =>
  route({ dst, dev, scope: "link", protocol: "kernel", prefsrc: src, table });
const RULES = [
  { priority: 0, src: "all", dst: "all", iif: null, oif: null, table: "local" },
  { priority: 32766, src: "all", dst: "all", iif: null, oif: null, table: "main" },
];

/** A pod after net1's L3 step: eth0 (Kubernetes) and net1 at `address`, routes in main. */
function pod(address = "10.78.1.50", extra: Partial<RoutingView> = {}): RoutingView {
  return {
    links: ["lo", "eth0", "net1"].map((name, i) => ({
      index: i + 1,
      name,
      mac: name === "net1" ? "02:16:3e:78:01:01" : name === "eth0" ? "8e:00:00:00:00:05" : null,
      mtu: 1500,
      adminUp: true,
      operState: "UP",
      master: null,
      kind: null,
      peerIndex: null,
      linkNetnsId: null,
      alias: null,
    })),
    addresses: [
      { ifname: "lo", cidr: "127.0.0.1/8", family: "inet", scope: "host" },
      { ifname: "eth0", cidr: "10.42.0.5/24", family: "inet", scope: "global" },
      { ifname: "net1", cidr: `${address}/24`, family: "inet", scope: "global" },
    ],
    routes: [
      connected("10.42.0.0/24", "eth0", "10.42.0.5"),
      route({ dst: "10.43.0.0/16", gateway: "10.42.0.1", dev: "eth0" }),
      connected("10.78.1.0/24", "net1", address),
      route({ dst: "default", gateway: "10.78.1.1", dev: "net1" }),
      route({ dst: `${address}/32`, dev: "net1", table: "local", scope: "host" }),
    ],
    rules: RULES,
    neighbours: [],
    ...extra,
  };
}

const INTENT: RoutingIntent = {
  table: 101,
  hijackSubnets: [],
  rpFilter: null,
  neighbours: false,
  macPrefix: null,
};
const lines = (plan: { pod: { args: readonly string[] }[] }) =>
  plan.pod.map((c) => c.args.join(" "));

Deno.test("migrateRoute: the interface's routes move to its table, one source rule", () => {
  const plan = planRouting({
    intent: INTENT,
    ifname: "net1",
    view: pod(),
    hostEnd: null,
    previous: null,
  });
  assert.deepEqual(lines(plan), [
    "route replace 10.78.1.0/24 dev net1 proto kernel scope link src 10.78.1.50 table 101",
    "route replace default via 10.78.1.1 dev net1 table 101",
    "route del 10.78.1.0/24 dev net1 table main",
    "route del default via 10.78.1.1 dev net1 table main",
    `rule add from 10.78.1.50/32 lookup 101 pref ${SOURCE_RULE_PRIORITY}`,
  ]);
  assert.deepEqual(plan.applied.rules, [{ src: "10.78.1.50/32", table: 101, priority: 1000 }]);
  assert.deepEqual(plan.applied.tableRoutes, [
    { dst: "10.78.1.0/24", gateway: null },
    { dst: "default", gateway: "10.78.1.1" },
  ]);
});

/** The pod as the kernel shows it once the plan for `address` ran. */
function applied(address: string): RoutingView {
  const before = pod(address);
  return {
    ...before,
    routes: before.routes.map((
      r,
    ) => (r.dev === "net1" && r.table === null ? { ...r, table: "101" } : r)),
    rules: [...RULES, {
      priority: 1000,
      src: address,
      dst: "all",
      iif: null,
      oif: null,
      table: "101",
    }],
  };
}

Deno.test("migrateRoute: the lease's routes are in the table even where main refused them", () => {
  // net2's default route: zedrouter's add failed in main, which has net1's (EEXIST ignored).
  const view = pod();
  const plan = planRouting({
    intent: INTENT,
    ifname: "net1",
    view: { ...view, routes: view.routes.filter((r) => r.dst !== "default") },
    hostEnd: null,
    routes: [{ dst: "default", gateway: "10.78.1.1" }, { dst: "10.78.1.0/24", gateway: null }],
    previous: null,
  });
  assert.deepEqual(lines(plan).slice(0, 3), [
    "route replace 10.78.1.0/24 dev net1 proto kernel scope link src 10.78.1.50 table 101",
    "route replace default via 10.78.1.1 dev net1 table 101",
    "route del 10.78.1.0/24 dev net1 table main",
  ]);
  assert.deepEqual(plan.applied.tableRoutes.map((r) => r.dst), ["10.78.1.0/24", "default"]);
});

Deno.test("migrateRoute: a second run changes nothing", () => {
  const plan = planRouting({
    intent: INTENT,
    ifname: "net1",
    view: applied("10.78.1.50"),
    hostEnd: null,
    previous: null,
  });
  assert.deepEqual(lines(plan), []);
  assert.equal(plan.applied.tableRoutes.length, 2);
});

Deno.test("migrateRoute after a renewal moved the address: new rule, old rule and stale routes go", () => {
  const after = applied("10.78.1.50");
  const renewed = pod("10.78.1.70");
  const view: RoutingView = {
    ...renewed,
    // The kernel dropped the old connected route (its source left); the old gateway's stays.
    routes: [
      ...renewed.routes,
      route({ dst: "10.99.0.0/16", gateway: "10.78.1.9", dev: "net1", table: "101" }),
    ],
    rules: after.rules,
  };
  assert.deepEqual(
    lines(planRouting({ intent: INTENT, ifname: "net1", view, hostEnd: null, previous: null })),
    [
      "route replace 10.78.1.0/24 dev net1 proto kernel scope link src 10.78.1.70 table 101",
      "route replace default via 10.78.1.1 dev net1 table 101",
      "route del 10.99.0.0/16 via 10.78.1.9 dev net1 table 101",
      "route del 10.78.1.0/24 dev net1 table main",
      "route del default via 10.78.1.1 dev net1 table main",
      "rule add from 10.78.1.70/32 lookup 101 pref 1000",
      "rule del from 10.78.1.50/32 lookup 101 pref 1000",
    ],
  );
});

Deno.test("migrateRoute: a table another interface uses is a config conflict (code 7)", () => {
  const taken = pod("10.78.1.50", {
    rules: [...RULES, {
      priority: 1000,
      src: "10.42.0.5",
      dst: "all",
      iif: null,
      oif: null,
      table: "101",
    }],
  });
  assert.throws(
    () =>
      planRouting({ intent: INTENT, ifname: "net1", view: taken, hostEnd: null, previous: null }),
    (e) =>
      e instanceof CniError && e.code === 7 && /table 101 is already used/.test(e.msg) &&
      /belongs to "eth0"/.test(e.details),
  );
});

Deno.test("hijackSubnets: via eth0's gateway in main and the table; what cannot apply is said", () => {
  const intent = { ...INTENT, hijackSubnets: ["10.42.0.0/16", "10.78.1.0/24", "fd00:96::/64"] };
  const plan = planRouting({ intent, ifname: "net1", view: pod(), hostEnd: null, previous: null });
  assert.deepEqual(lines(plan).filter((l) => l.includes("dev eth0")), [
    "route replace 10.42.0.0/16 via 10.42.0.1 dev eth0 onlink",
    "route replace 10.42.0.0/16 via 10.42.0.1 dev eth0 onlink table 101",
  ]);
  assert.deepEqual(plan.applied.skipped, [
    'hijack 10.78.1.0/24: "net1" routes it itself',
    "hijack fd00:96::/64: eth0 has no IPv6 gateway",
  ]);
});

const BRIDGE: HostEnd = {
  name: "bn1",
  mac: "02:00:00:00:0b:01",
  addresses: [{ ifname: "bn1", cidr: "10.78.1.1/24", family: "inet", scope: "global" }],
  neighbours: [{ ip: "10.78.1.50", dev: "bn1", mac: "02:16:3e:78:01:01", state: ["PERMANENT"] }],
};

Deno.test("neighbours: both ways with the bridge holding the subnet; a moved address's entry goes", () => {
  const intent = { ...INTENT, table: null, neighbours: true };
  const previous = planRouting({
    intent,
    ifname: "net1",
    view: pod(),
    hostEnd: BRIDGE,
    previous: null,
  });
  assert.deepEqual(previous.applied.podNeighbours, [{
    ip: "10.78.1.1",
    dev: "net1",
    mac: BRIDGE.mac,
  }]);
  assert.deepEqual(previous.host.map((c) => c.args.join(" ")), [
    "neigh replace 10.78.1.50 lladdr 02:16:3e:78:01:01 dev bn1 nud permanent",
  ]);
  const moved = planRouting({
    intent,
    ifname: "net1",
    view: pod("10.78.1.70"),
    hostEnd: BRIDGE,
    previous: previous.applied,
  });
  assert.deepEqual(moved.host.map((c) => c.args.join(" ")), [
    "neigh del 10.78.1.50 dev bn1",
    "neigh replace 10.78.1.70 lladdr 02:16:3e:78:01:01 dev bn1 nud permanent",
  ]);
  const switchNi = { ...BRIDGE, addresses: [], neighbours: [] };
  const none = planRouting({
    intent,
    ifname: "net1",
    view: pod(),
    hostEnd: switchNi,
    previous: null,
  });
  assert.deepEqual([none.pod, none.host], [[], []]);
  assert.deepEqual(none.applied.skipped, [
    'neighbours: "bn1" has no address on the subnet of "net1"',
  ]);
});

Deno.test("macPrefix: the prefix and the address's 4 bytes, set before anything else", () => {
  assert.equal(macFromPrefix("0a:1b", "10.42.0.5/24"), "0a:1b:0a:2a:00:05");
  assert.equal(macFromPrefix("0a:1b", "fd00::c0a8:102/64"), "0a:1b:c0:a8:01:02");
  const intent = { ...INTENT, table: null, macPrefix: "0a:1b" };
  const plan = planRouting({ intent, ifname: "eth0", view: pod(), hostEnd: null, previous: null });
  assert.deepEqual(lines(plan), ["link set dev eth0 address 0a:1b:0a:2a:00:05"]);
  assert.equal(plan.applied.mac, "0a:1b:0a:2a:00:05");
});
