import assert from "node:assert/strict";
import {
  broadcast,
  intToIp,
  ipToInt,
  isHostOf,
  netmask,
  parseRange,
  parseSubnet,
  type Subnet4,
} from "./ipv4.ts";

Deno.test("IPv4 numbers round-trip", () => {
  for (const ip of ["0.0.0.0", "10.11.12.1", "255.255.255.255", "192.168.0.200"]) {
    assert.equal(intToIp(ipToInt(ip)), ip);
  }
});

Deno.test("parseSubnet accepts networks and explains bad ones", () => {
  const s = parseSubnet("10.11.12.0/24") as Subnet4;
  assert.equal(intToIp(s.network), "10.11.12.0");
  assert.equal(netmask(s), "255.255.255.0");
  assert.equal(intToIp(broadcast(s)), "10.11.12.255");
  assert.match(parseSubnet("10.11.12.5/24") as string, /use "10\.11\.12\.0\/24"/);
  assert.match(parseSubnet("10.11.12.0") as string, /Expected an IPv4 subnet/);
  assert.match(parseSubnet("10.0.0.0/31") as string, /between \/8 and \/30/);
  assert.match(parseSubnet("fd00::/64") as string, /Expected an IPv4 subnet/);
});

Deno.test("isHostOf excludes network and broadcast addresses", () => {
  const s = parseSubnet("10.11.12.0/24") as Subnet4;
  assert.ok(isHostOf(s, ipToInt("10.11.12.1")));
  assert.ok(isHostOf(s, ipToInt("10.11.12.254")));
  assert.ok(!isHostOf(s, ipToInt("10.11.12.0")));
  assert.ok(!isHostOf(s, ipToInt("10.11.12.255")));
  assert.ok(!isHostOf(s, ipToInt("10.11.13.1")));
});

Deno.test("parseRange checks order and form", () => {
  assert.deepEqual(parseRange("10.0.0.5-10.0.0.9"), {
    start: ipToInt("10.0.0.5"),
    end: ipToInt("10.0.0.9"),
  });
  assert.match(parseRange("10.0.0.9-10.0.0.5") as string, /swap/);
  assert.match(parseRange("10.0.0.9") as string, /Expected a range/);
});
