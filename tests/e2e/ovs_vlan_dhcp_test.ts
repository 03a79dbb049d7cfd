/**
 * A VMI launcher pod on VLAN 100 of an OVS-backed switch NI, attached through libcni (eve-bridge
 * leaves it L2-only): its guest's DHCP request is answered only by the server on VLAN 100,
 * though a server on VLAN 200 on the same bridge holds a reservation for the same MAC. Each
 * server sits behind an OVS access port of its VLAN (no 8021q needed in its namespace).
 */
import assert from "node:assert/strict";
import { startUpstreamDnsmasq } from "../../scripts/sandbox/upstream_dnsmasq.ts";
import {
  acquireLease,
  addAddr,
  addOvsPort,
  createVethPair,
  disableTxChecksumOffload,
  readDnsmasqLeases,
  setLinkUp,
  systemRunner as run,
  writeUdhcpcHookScript,
} from "../../netns/mod.ts";
import { createPod } from "../../scripts/sandbox/pod.ts";
import { findTool } from "../../scripts/sandbox/sandbox.ts";
import { APPS, CNIDRIVE, podAddresses } from "./harness.ts";
import { type OvsContext, ovsTest } from "./ovs_harness.ts";
import { attach, detach, netX } from "./runtime.ts";

const SW = { name: "ni-ovs-vm", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a08", bridge: "obr3" };
const VM_MAC = "02:16:3e:78:07:09";
/** KubeVirt's name for the VMI's secondary interface. */
const VMI_IF = "pod7b4ce3a9f21";

/** dnsmasq in its own namespace behind an OVS access port on `vlan`, reserving VM_MAC -> ip. */
async function server(ctx: OvsContext, vlan: number, ip: string) {
  const { node, ovs } = ctx;
  const ns = await node.sb.netns(`dhcp${vlan}`);
  await createVethPair(run, node.ns.ns, {
    hostName: `dh${vlan}`,
    peerName: "dh0",
    peerNetns: ns.ns,
  });
  await addOvsPort(run, ovs.db, SW.bridge, `dh${vlan}`, { tag: vlan, trunks: [] });
  await setLinkUp(run, node.ns.ns, `dh${vlan}`);
  await addAddr(run, ns.ns, "dh0", `10.78.7.${vlan === 100 ? 1 : 2}/24`);
  await setLinkUp(run, ns.ns, "dh0");
  // OVS's userspace datapath reads the veth with AF_PACKET and forwards a frame as it is: a
  // UDP checksum left to offload arrives unfinished and the guest's udhcpc drops the reply.
  await disableTxChecksumOffload(run, ns.ns, "dh0");
  const dnsmasq = await startUpstreamDnsmasq({
    netns: ns.ns,
    interface: "dh0",
    dir: node.dir,
    name: `dhcp${vlan}`,
    network: "10.78.7.0",
    hosts: [{ mac: VM_MAC, ip }],
  });
  node.sb.track(dnsmasq.daemon);
  return dnsmasq.leaseFile;
}

const NO_ETHTOOL = findTool("ethtool")
  ? undefined
  : "needs ethtool (scripts/install.sh installs it)";

ovsTest("e2e: OVS VLANs: a VMI guest on VLAN 100 is answered only by VLAN 100's DHCP server", {
  networkInstances: [{ ...SW, type: "switch", bridgeType: "ovs", vlan: 100 }],
  apps: [{
    name: APPS.vm.name,
    uuid: APPS.vm.uuid,
    adapters: [{ networkInstance: SW.name, mac: VM_MAC }],
  }],
}, async (ctx) => {
  const { node } = ctx;
  const leases100 = await server(ctx, 100, "10.78.7.100");
  const leases200 = await server(ctx, 200, "10.78.7.200");
  const pod = await createPod(node, "vmi", APPS.vm, { vmi: true });
  ctx.pods.push(pod);
  const attached = await attach(CNIDRIVE, node, pod, [netX(node, VMI_IF, SW.name, VM_MAC)]);
  assert.deepEqual(await podAddresses(pod, VMI_IF), [], "eve-bridge leaves a VMI L2-only");

  const scriptPath = `${node.dir}/guest-udhcpc.sh`;
  await writeUdhcpcHookScript(scriptPath);
  const lease = await acquireLease(run, {
    netnsPath: pod.netns.path,
    ifname: VMI_IF,
    scriptPath,
    timeoutSeconds: 2,
    retries: 3,
  });
  assert.equal(lease.address, "10.78.7.100/24");
  assert.deepEqual((await readDnsmasqLeases(leases100)).map((l) => l.mac), [VM_MAC]);
  assert.deepEqual(await readDnsmasqLeases(leases200), [], "VLAN 200's server never saw it");

  await detach(CNIDRIVE, node, attached);
}, NO_ETHTOOL);
