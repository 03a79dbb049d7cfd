/**
 * `netns` on a namespace the test builds by hand (read back against what it configured), and
 * `render` end to end: --out-dir files, NIs from a live fake-zedrouter, a stable subnet.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { defaultDeps, runCli } from "../cli/eve-cni-debug/mod.ts";
import { sandboxTest } from "./sandbox.ts";
import { startNode } from "./fixtures/eve_cni_debug/live_env.ts";

const NetnsJson = v.object({
  exists: v.boolean(),
  links: v.array(
    v.object({ name: v.string(), mac: v.nullable(v.string()), master: v.nullable(v.string()) }),
  ),
  addresses: v.array(v.object({ ifname: v.string(), cidr: v.string() })),
  routes: v.array(
    v.object({ dst: v.string(), gateway: v.nullable(v.string()), table: v.nullable(v.string()) }),
  ),
  neighbours: v.array(v.object({ ip: v.string(), mac: v.nullable(v.string()) })),
});

sandboxTest(
  "eve-cni-debug netns: what the namespace holds, by name and by path",
  [],
  async (sb) => {
    const ns = await sb.netns("a");
    const run = (args: string[]) => sb.exec(ns, args);
    await run(["ip", "link", "add", "br0", "type", "bridge"]);
    await run([
      "ip",
      "link",
      "add",
      "veth0",
      "address",
      "02:00:00:00:00:0a",
      "type",
      "veth",
      "peer",
      "name",
      "veth1",
    ]);
    await run(["ip", "link", "set", "veth0", "master", "br0"]);
    for (const dev of ["br0", "veth0", "veth1"]) await run(["ip", "link", "set", dev, "up"]);
    await run(["ip", "addr", "add", "192.168.77.2/24", "dev", "br0"]);
    await run(["ip", "route", "add", "10.99.0.0/16", "via", "192.168.77.1"]);
    await run(["ip", "neigh", "add", "192.168.77.9", "lladdr", "02:00:00:00:00:99", "dev", "br0"]);

    const byName = await runCli(["--json", "netns", ns.name], defaultDeps({}));
    assert.equal(byName.exitCode, 0, byName.stderr);
    const m = v.parse(NetnsJson, JSON.parse(byName.stdout));
    assert.equal(m.exists, true);
    assert.equal(m.links.find((l) => l.name === "veth0")?.master, "br0");
    assert.equal(m.links.find((l) => l.name === "veth0")?.mac, "02:00:00:00:00:0a");
    assert.ok(m.addresses.some((a) => a.ifname === "br0" && a.cidr === "192.168.77.2/24"));
    assert.ok(m.routes.some((r) => r.dst === "10.99.0.0/16" && r.gateway === "192.168.77.1"));
    assert.ok(m.neighbours.some((n) => n.ip === "192.168.77.9" && n.mac === "02:00:00:00:00:99"));

    const byPath = await runCli(["netns", ns.path], defaultDeps({}));
    assert.match(byPath.stdout, /veth0 +veth +02:00:00:00:00:0a +1500 +up\/\w+ +br0/);
    assert.match(byPath.stdout, /main +10\.99\.0\.0\/16 +192\.168\.77\.1 +br0/);

    const missing = await runCli(["netns", `${sb.prefix}-nope`], defaultDeps({}));
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stdout, /does not exist/);
    const invalid = await runCli(["netns", "bad name"], defaultDeps({}));
    assert.equal(invalid.exitCode, 2);
  },
);

sandboxTest("eve-cni-debug render: files, NIs from zedrouter, stable node subnets", [
  "dnsmasq",
], async (sb) => {
  const live = await startNode(sb);
  const alloc = `${sb.dir}/alloc/node-subnets.json`;
  const out = `${sb.dir}/net.d`;
  const render = (node: string, ...extra: string[]) =>
    runCli([
      "--socket",
      live.socket,
      "render",
      "--node",
      node,
      "--pod-cidr",
      "10.42.0.0/16",
      "--alloc-file",
      alloc,
      ...extra,
    ], defaultDeps({}));
  const r = await render(
    "node-a",
    "--from-zedrouter",
    "--node-ip",
    "192.168.1.10",
    "--out-dir",
    out,
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const conflist = JSON.parse(await Deno.readTextFile(`${out}/10-eve-bridge.conflist`));
  assert.equal(conflist.plugins[0].type, "eve-bridge");
  assert.equal(conflist.plugins[0].nodeIP, "192.168.1.10");
  assert.equal(conflist.plugins[0].ipam.ranges[0][0].subnet, "10.42.0.0/24");
  const nad = parseYaml(await Deno.readTextFile(`${out}/nad-ni-local.yaml`));
  assert.equal(nad.kind, "NetworkAttachmentDefinition");
  const inner = JSON.parse(nad.spec.config);
  assert.deepEqual(inner.plugins.map((p: { type: string }) => p.type), ["eve-bridge", "tuning"]);
  assert.ok(await Deno.stat(`${out}/nad-ni-other.yaml`));

  const b = await render("node-b", "--json");
  assert.equal(JSON.parse(b.stdout).subnet.subnet, "10.42.1.0/24");
  const again = await render("node-a", "--json");
  assert.equal(JSON.parse(again.stdout).subnet.subnet, "10.42.0.0/24", "a rerun keeps the subnet");
  const bad = await render("node-c", "--ni", "nope");
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /Invalid --ni "nope": expected NAME=UUID/);
});
