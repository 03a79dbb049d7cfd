import assert from "node:assert/strict";
import { type CniResult, fromWireResult, toWireResult } from "./result.ts";
import { SUPPORTED_VERSIONS } from "./versions.ts";

const FULL: CniResult = {
  interfaces: [
    { name: "br0", mac: "02:00:00:00:00:01", mtu: 1500 },
    { name: "eth0", mac: "02:00:00:00:00:02", mtu: 1400, sandbox: "/var/run/netns/p", pciID: "x" },
  ],
  ips: [
    { address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 1 },
    { address: "fd00::5/64", interface: 1 },
  ],
  routes: [
    { dst: "0.0.0.0/0", gw: "10.1.0.1", mtu: 1300, priority: 5, table: 100, scope: 0 },
    { dst: "10.43.0.0/16" },
  ],
  dns: { nameservers: ["10.1.0.1"], search: ["svc.local"] },
};

Deno.test("result: 0.3.x/0.4.0 output has ips[].version and no mtu or route extras", () => {
  for (const version of ["0.3.0", "0.3.1", "0.4.0"] as const) {
    const wire = toWireResult(FULL, version) as {
      cniVersion: string;
      interfaces: Record<string, unknown>[];
      ips: Record<string, unknown>[];
      routes: Record<string, unknown>[];
    };
    assert.equal(wire.cniVersion, version);
    assert.deepEqual(wire.ips.map((ip) => ip.version), ["4", "6"]);
    assert.ok(wire.interfaces.every((i) => !("mtu" in i) && !("pciID" in i)));
    assert.deepEqual(wire.routes[0], { dst: "0.0.0.0/0", gw: "10.1.0.1" });
  }
});

Deno.test("result: 1.0.0 drops ips[].version and route extras, keeps interface mtu", () => {
  const wire = toWireResult(FULL, "1.0.0") as Record<string, Record<string, unknown>[]>;
  assert.ok(wire.ips?.every((ip) => !("version" in ip)));
  assert.equal(wire.interfaces?.[1]?.mtu, 1400);
  assert.equal(wire.interfaces?.[1]?.pciID, undefined);
  assert.deepEqual(wire.routes?.[0], { dst: "0.0.0.0/0", gw: "10.1.0.1" });
});

Deno.test("result: 1.1.0 round-trips everything", () => {
  const back = fromWireResult(JSON.parse(JSON.stringify(toWireResult(FULL, "1.1.0"))), "1.1.0");
  assert.ok(back.ok);
  assert.deepEqual(back.result, FULL);
});

Deno.test("result: every version reads back what it prints (prevResult round trip)", () => {
  for (const version of SUPPORTED_VERSIONS) {
    const printed = JSON.parse(JSON.stringify(toWireResult(FULL, version)));
    const back = fromWireResult(printed, version);
    assert.ok(back.ok, version);
    assert.deepEqual(back.result.ips, FULL.ips, version);
    assert.deepEqual(back.result.dns, FULL.dns, version);
    assert.deepEqual(toWireResult(back.result, version), toWireResult(FULL, version), version);
  }
});

Deno.test("result: a 0.4.0 prevResult converts up to 1.1 (version dropped)", () => {
  const parsed = fromWireResult({
    cniVersion: "0.4.0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", sandbox: "/x", mtu: 9000 }],
    ips: [{ version: "4", address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0 }],
    routes: [{ dst: "0.0.0.0/0", priority: 3 }],
    dns: {},
  }, "0.4.0");
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.result, {
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", sandbox: "/x" }],
    ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0 }],
    routes: [{ dst: "0.0.0.0/0" }],
    dns: {},
  });
  const wire = toWireResult(parsed.result, "1.1.0") as { ips: Record<string, unknown>[] };
  assert.ok(!("version" in wire.ips[0]!));
});

Deno.test("result: invalid prevResults are reported with the field path", () => {
  const bad = fromWireResult({ ips: [{ address: "10.1.0.5" }] }, "1.0.0");
  assert.ok(!bad.ok);
  assert.match(bad.problem, /ips\.0\.address/);
  const family = fromWireResult({ ips: [{ version: "6", address: "10.1.0.5/24" }] }, "0.3.1");
  assert.ok(!family.ok);
  assert.match(family.problem, /ips\.0\.version/);
  assert.ok(!fromWireResult("nope", "1.1.0").ok);
  // Go prints null for absent lists; that is fine.
  assert.ok(fromWireResult({ interfaces: null, ips: null, routes: null, dns: null }, "1.0.0").ok);
});
