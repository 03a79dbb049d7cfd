/**
 * A switch NI spanning two nodes, end to end: a pod on node A (eve-bridge through libcni,
 * its address from the DHCP server on the segment, which sits behind node B) and a VMI
 * launcher pod on node B (L2 only; its guest's DHCP answered by the same server) ping each
 * other across the VXLAN underlay; eve-cni-debug on each node shows the VXLAN port and its
 * peer; a DEL on either side leaves the other side working.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import {
  acquireLease,
  addAddr,
  execArgv,
  readDnsmasqLeases,
  systemRunner,
  writeUdhcpcHookScript,
} from "../../netns/mod.ts";
import { BridgesModelSchema } from "../../cli/eve-cni-debug/cmd_bridges.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { createPod, type E2ePod } from "../../scripts/sandbox/pod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { CNIDRIVE, ping, podAddresses, podLink } from "./harness.ts";
import {
  adapterMac,
  APP_VM,
  APP_WEB,
  DHCP_PORT,
  type MultiNode,
  multiNodeTest,
  SEGMENT,
  SPAN,
  UNDERLAY,
  VXLAN_DEVICE,
} from "./multinode_harness.ts";
import { attach, type AttachedPod, detach, eth0, netX } from "./runtime.ts";

/** KubeVirt's name for the VMI's secondary interface (`pod<hash of the network name>`). */
const VMI_IF = "pod7b4ce3a9f21";

async function bridgesOf(node: E2eNode, human = false) {
  const argv = [EVE_CNI_DEBUG, "--socket", node.socket, ...(human ? [] : ["--json"]), "bridges"];
  const r = await systemRunner(execArgv(node.ns.ns, argv));
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  return human ? r.stdout : v.parse(BridgesModelSchema, JSON.parse(r.stdout));
}

/** What `eve-cni-debug bridges --json` says of the spanning NI's VXLAN port on a node. */
async function vxlanPortOf(node: E2eNode) {
  const model = await bridgesOf(node) as v.InferOutput<typeof BridgesModelSchema>;
  const bridge = model.bridges.find((b) => b.name === SPAN.bridge);
  assert.equal(bridge?.networkInstance?.name, SPAN.name);
  const port = bridge?.ports.find((p) => p.name === VXLAN_DEVICE);
  assert.ok(port?.vxlan, JSON.stringify(bridge));
  assert.deepEqual(model.problems, []);
  return port.vxlan;
}

/** Inspect.NetworkInstances on a node: the spanning NI's VXLAN uplink as made and as learned. */
async function assertUplinkInspected(
  node: E2eNode,
  local: string,
  peer: string,
  remoteMac: string,
): Promise<void> {
  const nis = (await node.inspect("Inspect.NetworkInstances")).networkInstances;
  const ni = nis.find((n) => n.name === SPAN.name);
  assert.ok(ni && ni.bridgePorts.includes(VXLAN_DEVICE), JSON.stringify(nis));
  const x = ni.vxlan;
  assert.ok(x, JSON.stringify(ni));
  const { learned, ...made } = x;
  assert.deepEqual(made, {
    device: VXLAN_DEVICE,
    vni: SPAN.vni,
    local,
    remotes: [peer],
    group: null,
    underlay: "ul0",
    udpPort: 4789,
    present: true,
    up: true,
    master: SPAN.bridge,
    mtu: SPAN.mtu,
    floodTo: [peer],
  });
  assert.ok(learned.some((l) => l.mac === remoteMac && l.vtep === peer), JSON.stringify(x));
}

async function attachWeb(m: MultiNode, role: string): Promise<AttachedPod> {
  const pod = await createPod(m.a, role, APP_WEB);
  m.pods.push(pod);
  const mac = await adapterMac(m.a, APP_WEB.uuid);
  return await attach(CNIDRIVE, m.a, pod, [eth0(m.a), netX(m.a, "net1", SPAN.name, mac)]);
}

/** The VMI's launcher pod on node B, and its guest's DHCP run in the pod (as its traffic is). */
async function attachVmi(m: MultiNode, role: string): Promise<AttachedPod> {
  const pod = await createPod(m.b, role, APP_VM, { vmi: true });
  m.pods.push(pod);
  const mac = await adapterMac(m.b, APP_VM.uuid);
  const attached = await attach(CNIDRIVE, m.b, pod, [eth0(m.b), netX(m.b, VMI_IF, SPAN.name, mac)]);
  assert.deepEqual(await podAddresses(pod, VMI_IF), [], "eve-bridge leaves a VMI L2-only");
  assert.equal((await podLink(pod, VMI_IF))?.mac, mac);
  await guestDhcp(m, pod);
  return attached;
}

async function guestDhcp(m: MultiNode, pod: E2ePod): Promise<void> {
  const scriptPath = `${m.sb.dir}/guest-udhcpc.sh`;
  await writeUdhcpcHookScript(scriptPath);
  const lease = await acquireLease(systemRunner, {
    netnsPath: pod.netns.path,
    ifname: VMI_IF,
    scriptPath,
    timeoutSeconds: 2,
    retries: 3,
  });
  assert.equal(lease.address, `${SEGMENT.vm}/${SEGMENT.prefix}`);
  await addAddr(systemRunner, pod.netns.ns, VMI_IF, lease.address);
}

async function assertPing(pod: E2ePod, to: string): Promise<void> {
  const r = await ping(pod, to);
  assert.ok(r.ok, `ping ${to}: ${r.output}`);
}

multiNodeTest("e2e: one switch NI across two nodes over VXLAN, pods ping across", {}, async (m) => {
  const web = await attachWeb(m, "pod-a");
  // Node A has no DHCP server: the lease came across the VXLAN from the one behind node B.
  assert.deepEqual(await podAddresses(web.pod, "net1"), [`${SEGMENT.web}/${SEGMENT.prefix}`]);
  const vmi = await attachVmi(m, "vmi-b");
  await assertPing(web.pod, SEGMENT.vm);
  await assertPing(vmi.pod, SEGMENT.web);
  const webMac = await adapterMac(m.a, APP_WEB.uuid);
  const vmMac = await adapterMac(m.b, APP_VM.uuid);
  assert.notEqual(webMac, vmMac);
  assert.deepEqual(
    (await readDnsmasqLeases(m.leaseFile)).map((l) => `${l.mac} ${l.ip}`).sort(),
    [`${webMac} ${SEGMENT.web}`, `${vmMac} ${SEGMENT.vm}`].sort(),
  );

  // eve-cni-debug on each node: the VXLAN port, its peer, and the remote pod's MAC behind it.
  for (
    const [node, local, peer, remoteMac] of [
      [m.a, UNDERLAY.a, UNDERLAY.b, vmMac],
      [m.b, UNDERLAY.b, UNDERLAY.a, webMac],
    ] as const
  ) {
    const x = await vxlanPortOf(node);
    assert.equal(x.vni, SPAN.vni);
    assert.equal(x.local, local);
    assert.equal(x.udpPort, 4789);
    assert.deepEqual(x.peers, [peer]);
    assert.ok(x.learned.some((l) => l.mac === remoteMac && l.vtep === peer), JSON.stringify(x));
    const text = await bridgesOf(node, true) as string;
    assert.match(
      text,
      new RegExp(`${VXLAN_DEVICE}: VXLAN VNI ${SPAN.vni}, VTEP ${local} udp/4789`),
    );
    assert.match(text, new RegExp(`floods to peers ${peer.replaceAll(".", "\\.")}`));
    // fake-zedrouter's own inspector says the same of the uplink it made.
    await assertUplinkInspected(node, local, peer, remoteMac);
  }
  // The two nodes' bridges of the one NI have MACs of their own on the segment.
  const bridgeMac = async (n: E2eNode) =>
    (await n.inspect("Inspect.NetworkInstances")).networkInstances[0]!.bridgeMac;
  assert.notEqual(await bridgeMac(m.a), await bridgeMac(m.b));

  // DEL on node B: node A's pod keeps its attachment and still reaches across the segment.
  await detach(CNIDRIVE, m.b, vmi);
  assert.deepEqual(await findLeaks(m.b, [vmi.pod], { otherPorts: [DHCP_PORT] }), []);
  assert.deepEqual(await podAddresses(web.pod, "net1"), [`${SEGMENT.web}/${SEGMENT.prefix}`]);
  await assertPing(web.pod, SEGMENT.server);

  // A new VMI pod on B, then DEL on node A: B's side stays whole.
  const vmi2 = await attachVmi(m, "vmi-b2");
  await detach(CNIDRIVE, m.a, web);
  assert.deepEqual(await findLeaks(m.a, [web.pod]), []);
  // eve-bridge released pod A's lease, across the VXLAN, to the server behind node B.
  assert.deepEqual((await readDnsmasqLeases(m.leaseFile)).map((l) => l.mac), [vmMac]);
  await assertPing(vmi2.pod, SEGMENT.server);
  assert.equal((await vxlanPortOf(m.b)).peers[0], UNDERLAY.a);
  await detach(CNIDRIVE, m.b, vmi2);
  assert.deepEqual(await findLeaks(m.b, [vmi2.pod], { otherPorts: [DHCP_PORT] }), []);
});
