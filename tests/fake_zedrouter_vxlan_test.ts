/**
 * A switch NI's VXLAN uplink across fake-zedrouter reloads (SIGHUP), read back from the
 * kernel and from Inspect.NetworkInstances: other peers are synced into the flood list
 * without remaking the device, another VNI remakes it, a multicast group replaces the peers,
 * and dropping the NI removes the device with its bridge.
 */
import assert from "node:assert/strict";
import { execArgv, getLink, getVxlan, runChecked, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import type { SandboxNetns } from "../scripts/sandbox/sandbox.ts";
import { eventually } from "./poll.ts";
import { inspect, startZedrouter, type Zedrouter } from "./fake_zedrouter_harness.ts";

const LOCAL = "192.168.240.1";
const DEVICE = "vxspan";

/** The config: this node, and one switch NI whose uplink is `vxlan` (none: no NI). */
function configText(vxlan: string | null): string {
  const nis = vxlan === null ? "networkInstances: []" : `networkInstances:
  - name: ni-span
    uuid: 6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a07
    type: switch
    bridge: bn7
    mtu: 1450
    vxlan: ${vxlan}`;
  return `cluster: {node: node-a}\n${nis}\napps: []\n`;
}

/** The underlay: one end of a veth pair (this kernel has no dummy links) holding the VTEP. */
async function addUnderlay(node: SandboxNetns): Promise<void> {
  const ip = (...args: string[]) => runChecked(systemRunner, execArgv(node.ns, ["ip", ...args]));
  await ip("link", "add", "ul0", "type", "veth", "peer", "name", "ul0p");
  await ip("link", "set", "ul0p", "up");
  await ip("addr", "add", `${LOCAL}/24`, "dev", "ul0");
  await ip("link", "set", "ul0", "up");
}

async function uplink(zr: Zedrouter) {
  const { networkInstances } = await inspect(zr.socket, "Inspect.NetworkInstances");
  return networkInstances.find((ni) => ni.name === "ni-span")?.vxlan ?? null;
}

/** Writes the config, sends SIGHUP and waits for the reload it caused. */
async function reload(zr: Zedrouter, path: string, vxlan: string | null): Promise<void> {
  const count = async () => ((await zr.log()).match(/Reloaded: /g) ?? []).length;
  const before = await count();
  await Deno.writeTextFile(path, configText(vxlan));
  zr.signal("SIGHUP");
  await eventually("the reload", async () => (await count()) > before || undefined);
}

sandboxTest("fake-zedrouter: a VXLAN uplink follows reloads", [], async (sb) => {
  const node = await sb.netns("node");
  await addUnderlay(node);
  const path = `${sb.dir}/zr.yaml`;
  const peers = (...p: string[]) =>
    `{vni: 4242, local: ${LOCAL}, remotes: [${p.join(", ")}], device: ${DEVICE}}`;
  await Deno.writeTextFile(path, configText(peers("192.168.240.2")));
  const zr = await startZedrouter(sb, node, { config: path });
  try {
    const first = await uplink(zr);
    assert.equal(first?.present, true);
    assert.equal(first?.master, "bn7");
    assert.equal(first?.mtu, 1450);
    assert.deepEqual(first?.floodTo, ["192.168.240.2"]);
    const index = (await getLink(systemRunner, node.ns, DEVICE))?.index;

    // Other peers: the flood list follows, the device stays the same one.
    await reload(zr, path, peers("192.168.240.3", "192.168.240.4"));
    assert.deepEqual((await uplink(zr))?.floodTo.sort(), ["192.168.240.3", "192.168.240.4"]);
    assert.equal((await getLink(systemRunner, node.ns, DEVICE))?.index, index);

    // Another VNI: the device is made again, still a port of the NI's bridge.
    await reload(
      zr,
      path,
      `{vni: 4243, local: ${LOCAL}, remotes: [192.168.240.3], device: ${DEVICE}}`,
    );
    const remade = await getVxlan(systemRunner, node.ns, DEVICE);
    assert.equal(remade?.vni, 4243);
    assert.equal(remade?.master, "bn7");
    assert.deepEqual((await uplink(zr))?.floodTo, ["192.168.240.3"]);

    // A multicast group on the underlay instead of peers.
    await reload(
      zr,
      path,
      `{vni: 4243, local: ${LOCAL}, group: 239.1.1.7, underlay: ul0, device: ${DEVICE}}`,
    );
    const grouped = await getVxlan(systemRunner, node.ns, DEVICE);
    assert.deepEqual([grouped?.group, grouped?.device, grouped?.master], [
      "239.1.1.7",
      "ul0",
      "bn7",
    ]);
    assert.deepEqual((await uplink(zr))?.remotes, []);

    // The NI is dropped: its device goes with its bridge.
    await reload(zr, path, null);
    assert.equal(await getLink(systemRunner, node.ns, DEVICE), undefined);
    assert.equal(await getLink(systemRunner, node.ns, "bn7"), undefined);
  } finally {
    await zr.stop();
  }
});
