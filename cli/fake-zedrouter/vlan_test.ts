/**
 * The VLAN paths as commands, against a recording runner (this machine's kernel has no
 * bridge vlan_filtering, so the Linux-bridge path runs for real only where
 * tests/netns_bridge_vlan_test.ts finds support): a switch NI with VLANs on a Linux bridge
 * turns vlan_filtering on before its uplink trunks them; a pod port is an access port; on
 * OVS the same config is port tag / trunks in one ovs-vsctl call each.
 */
import assert from "node:assert/strict";
import { recordingRunner, type RunResult } from "../../netns/mod.ts";
import { parseConfigText } from "./config.ts";
import { ensureNetworkInstance } from "./network_instances.ts";
import { createPodVeth } from "./veth.ts";

const CONFIG = (bridgeType: string) =>
  parseConfigText(`
ovs: {db: /tmp/ovs/db.sock, datapathType: netdev}
networkInstances:
  - {name: sw, type: switch, bridge: bn3, bridgeType: ${bridgeType}, port: eth1, vlan: 100}
apps:
  - name: a
    uuid: 11111111-aaaa-4aaa-8aaa-111111111111
    adapters: [{networkInstance: sw}, {networkInstance: sw, vlan: 200}]
`);

/** `ip -j -d link show dev X` answers with a link of that name (a bridge for bn3). */
function kernel(): ReturnType<typeof recordingRunner> {
  return recordingRunner((argv): RunResult | undefined => {
    const dev = argv.at(-1)!;
    if (!argv.includes("show")) return undefined;
    const kind = dev === "bn3" ? { linkinfo: { info_kind: "bridge" } } : {};
    const link = { ifindex: 3, ifname: dev, mtu: 1500, flags: ["UP"], operstate: "UP", ...kind };
    return { code: 0, stdout: JSON.stringify([link]), stderr: "" };
  });
}

const text = (calls: string[][]) => calls.map((argv) => argv.join(" "));

Deno.test("adapters get the NI's VLAN unless they name their own", () => {
  const config = CONFIG("linux");
  assert.deepEqual(config.apps[0]!.adapters.map((a) => a.vlan), [100, 200]);
});

Deno.test("Linux bridge: vlan_filtering first, then the uplink trunks every VLAN used", async () => {
  const runner = kernel();
  const config = CONFIG("linux");
  await ensureNetworkInstance({ runner, host: undefined }, config.networkInstances[0]!, config);
  const lines = text(runner.calls);
  const filtering = lines.indexOf("ip link set dev bn3 type bridge vlan_filtering 1");
  const master = lines.indexOf("ip link set dev eth1 master bn3");
  assert.ok(filtering >= 0 && master > filtering, lines.join("\n"));
  assert.deepEqual(lines.filter((l) => l.startsWith("bridge ")), [
    "bridge vlan add dev eth1 vid 100",
    "bridge vlan add dev eth1 vid 200",
  ]);
});

Deno.test("Linux bridge: a kernel without vlan_filtering is a clear error", async () => {
  const base = kernel();
  const runner = Object.assign(
    (argv: readonly string[]) =>
      argv.includes("vlan_filtering")
        ? Promise.resolve({ code: 2, stdout: "", stderr: "Error: Unknown option.\n" })
        : base(argv),
    { calls: base.calls },
  );
  const config = CONFIG("linux");
  await assert.rejects(
    ensureNetworkInstance({ runner, host: undefined }, config.networkInstances[0]!, config),
    /VLAN\(s\) 100, 200 on network instance "sw".*vlan_filtering.*use bridgeType: ovs/,
  );
});

Deno.test("Linux bridge: a pod port is an access port (PVID untagged, default VLAN off)", async () => {
  const runner = recordingRunner();
  await createPodVeth({ runner, host: undefined }, {
    hostIfName: "nbu2x1",
    bridge: "bn3",
    podNetns: { name: "pod1" },
    podIfName: "net1",
    mac: "02:16:3e:00:00:02",
    mtu: 1500,
    vlan: 200,
  });
  const lines = text(runner.calls);
  const master = lines.indexOf("ip link set dev nbu2x1 master bn3");
  const access = lines.indexOf("bridge vlan add dev nbu2x1 vid 200 pvid untagged");
  assert.ok(master >= 0 && access > master, lines.join("\n"));
  assert.ok(lines.includes("bridge vlan del dev nbu2x1 vid 1"));
});

Deno.test("OVS: the uplink trunks the VLANs, a pod port is tagged, one ovs-vsctl each", async () => {
  const runner = kernel();
  const config = CONFIG("ovs");
  await ensureNetworkInstance({ runner, host: undefined }, config.networkInstances[0]!, config);
  const vsctl = text(runner.calls).filter((l) => l.startsWith("ovs-vsctl "));
  assert.ok(vsctl.some((l) => l.includes("add-br bn3") && l.includes("datapath_type=netdev")));
  assert.ok(
    vsctl.some((l) => l.includes("add-port bn3 eth1") && l.endsWith("tag=[] trunks=[100,200]")),
    vsctl.join("\n"),
  );
  assert.ok(!text(runner.calls).some((l) => l.includes("vlan_filtering")));
  const pod = recordingRunner();
  await createPodVeth({ runner: pod, host: undefined }, {
    hostIfName: "nbu1x1",
    bridge: "bn3",
    podNetns: { name: "pod1" },
    podIfName: "net1",
    mac: "02:16:3e:00:00:01",
    mtu: 1500,
    ovs: { db: { socket: "/tmp/ovs/db.sock" }, vlan: { tag: 100, trunks: [] } },
  });
  const port = text(pod.calls).find((l) => l.includes("add-port"));
  assert.equal(
    port,
    "ovs-vsctl --db=unix:/tmp/ovs/db.sock --timeout=5 --may-exist add-port bn3 nbu1x1 -- " +
      "set port nbu1x1 tag=100 trunks=[]",
  );
  assert.ok(!text(pod.calls).some((l) => l.includes("master")), "no Linux master on OVS");
});
