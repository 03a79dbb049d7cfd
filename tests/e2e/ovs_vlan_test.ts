/**
 * VLANs on an OVS-backed switch network instance, end to end through libcni: the NI's VLAN is
 * 100, one adapter names VLAN 200. Each pod's host veth is an access port (OVS `tag`) on its
 * adapter's VLAN; the two pods on VLAN 100 ping each other, the pod on VLAN 200 on the same
 * bridge reaches neither. The NI is air-gapped (no DHCP: eve-bridge attaches L2 only), so the
 * test gives the pods their addresses itself.
 */
import assert from "node:assert/strict";
import { addAddr, getOvsPort, systemRunner } from "../../netns/mod.ts";
import type { E2ePod } from "../../scripts/sandbox/pod.ts";
import { APPS, CNIDRIVE, ping, trackedPod } from "./harness.ts";
import { ovsTest } from "./ovs_harness.ts";
import { attach, detach, netX } from "./runtime.ts";

const SW = { name: "ni-ovs-sw", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a06", bridge: "obr2" };
const PODS = [
  { app: APPS.nginx, mac: "02:16:3e:78:06:01", ip: "10.78.6.1", vlan: 100 },
  { app: APPS.redis, mac: "02:16:3e:78:06:02", ip: "10.78.6.2", vlan: 100 },
  { app: APPS.switched, mac: "02:16:3e:78:06:03", ip: "10.78.6.3", vlan: 200 },
] as const;

ovsTest("e2e: OVS VLANs: two pods on VLAN 100 ping each other, a pod on VLAN 200 cannot", {
  networkInstances: [{ ...SW, type: "switch", bridgeType: "ovs", vlan: 100 }],
  apps: PODS.map((p) => ({
    name: p.app.name,
    uuid: p.app.uuid,
    // The third names its own VLAN; the others take the NI's.
    adapters: [{ networkInstance: SW.name, mac: p.mac, ...(p.vlan === 200 ? { vlan: 200 } : {}) }],
  })),
}, async (ctx) => {
  const { node, ovs } = ctx;
  const pods: E2ePod[] = [];
  const attached = [];
  for (const [i, p] of PODS.entries()) {
    const pod = await trackedPod(ctx, `pod${i + 1}`, p.app);
    attached.push(await attach(CNIDRIVE, node, pod, [netX(node, "net1", SW.name, p.mac)]));
    await addAddr(systemRunner, pod.netns.ns, "net1", `${p.ip}/24`);
    pods.push(pod);
  }
  // Each host veth's VLAN, as OVS's database has it.
  const { attachments } = await node.inspect("Inspect.Attachments");
  for (const [i, p] of PODS.entries()) {
    const a = attachments.find((x) => x.podName === pods[i]!.name);
    assert.ok(a, `attachment of ${pods[i]!.name}`);
    const port = await getOvsPort(systemRunner, ovs.db, a.hostIfName);
    assert.deepEqual([port?.bridge, port?.tag, port?.trunks], [SW.bridge, p.vlan, []]);
    assert.deepEqual(a.kernel.hostVeth.vlan, { tag: p.vlan, trunks: [] });
    assert.deepEqual(a.problems, []);
  }

  const same = await ping(pods[0]!, PODS[1].ip);
  assert.ok(same.ok, `VLAN 100 to VLAN 100: ${same.output}`);
  const back = await ping(pods[1]!, PODS[0].ip);
  assert.ok(back.ok, back.output);
  for (const from of [pods[0]!, pods[1]!]) {
    const other = await ping(from, PODS[2].ip);
    assert.ok(!other.ok, `VLAN 100 must not reach VLAN 200: ${other.output}`);
  }
  const reverse = await ping(pods[2]!, PODS[0].ip);
  assert.ok(!reverse.ok, `VLAN 200 must not reach VLAN 100: ${reverse.output}`);

  for (const a of attached) await detach(CNIDRIVE, node, a);
});
