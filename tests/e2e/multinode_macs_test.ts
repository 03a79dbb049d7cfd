/**
 * MACs across the cluster, on two nodes sharing a switch NI over VXLAN. fake-zedrouter
 * derives an adapter's MAC from (app UUID, NI UUID, adapter index), as EVE does, so the same
 * app configured on two nodes gets the same MAC on both. With a shared store (a real etcd)
 * the second node's ConnectPodAtL2 is refused, naming the node holding the claim, until the
 * first node's pod is gone; eve-cni-debug doctor reports the MAC claimed elsewhere. Without a
 * store both pods go on the segment, and the doctor sees the MAC behind the remote VTEP.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { execArgv, systemRunner } from "../../netns/mod.ts";
import { DoctorModelSchema } from "../../cli/eve-cni-debug/cmd_doctor.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { cni, createPod } from "../../scripts/sandbox/pod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { CNIDRIVE, ping } from "./harness.ts";
import {
  adapterMac,
  APP_VM,
  APP_WEB,
  DHCP_PORT,
  type MultiNode,
  multiNodeTest,
  nodeConfig,
  SEGMENT,
  SPAN,
} from "./multinode_harness.ts";
import { attach, detach, eth0, netX } from "./runtime.ts";

async function doctor(node: E2eNode) {
  const argv = [EVE_CNI_DEBUG, "--socket", node.socket, "--json", "doctor"];
  const r = await systemRunner(execArgv(node.ns.ns, argv));
  return v.parse(DoctorModelSchema, JSON.parse(r.stdout));
}

/** Node B serves the web app too (as a misconfigured cluster would), and the store's keys. */
async function webOnBoth(m: MultiNode, etcd: Record<string, unknown>): Promise<void> {
  const config = nodeConfig("node-b", APP_VM, etcd);
  config.apps.push({ ...APP_WEB, adapters: [{ networkInstance: SPAN.name }] });
  await m.b.reload(config);
}

async function webPod(m: MultiNode, node: E2eNode, role: string) {
  const pod = await createPod(node, role, APP_WEB);
  m.pods.push(pod);
  return pod;
}

multiNodeTest("e2e: a MAC claimed by another node is refused, then free once it leaves", {
  etcd: true,
}, async (m, etcd) => {
  const store = { etcd: { endpoints: [etcd!.endpoint] } };
  const mac = await adapterMac(m.a, APP_WEB.uuid);
  // Locally administered (bit 1 of the first octet) and unicast (bit 0 clear).
  assert.equal(parseInt(mac.slice(0, 2), 16) & 0b11, 0b10, mac);
  assert.ok(mac.startsWith("02:16:3e:"), "a switch NI's MAC, as EVE makes them");
  const onA = await attach(CNIDRIVE, m.a, await webPod(m, m.a, "web-a"), [
    eth0(m.a),
    netX(m.a, "net1", SPAN.name, mac),
  ]);
  const claims = await etcd!.range("/eve-cni/macs/");
  assert.deepEqual(claims.map((kv) => [kv.key, JSON.parse(kv.value).node]), [
    [`/eve-cni/macs/${mac}`, "node-a"],
  ]);

  await webOnBoth(m, store);
  assert.equal(await adapterMac(m.b, APP_WEB.uuid), mac, "derived from the app, not the node");
  // Node B's doctor: the MAC of its config is claimed by node A (and seen behind node A's VTEP).
  const found = (await doctor(m.b)).findings.filter((f) => f.kind === "duplicate-mac");
  const claimed = new RegExp(
    `MAC ${mac} of app web adapter 0 on this node is claimed by node node-a`,
  );
  assert.ok(found.some((f) => claimed.test(f.message)), JSON.stringify(found));

  const podB = await webPod(m, m.b, "web-b");
  const net1 = { ifname: "net1", conflist: m.b.nad(SPAN.name), mac };
  const refused = await cni(CNIDRIVE, m.b, "add", podB, net1);
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    new RegExp(`MAC ${mac} of app ${APP_WEB.uuid} adapter 0 is already claimed by node node-a`),
  );
  assert.match(
    refused.stderr,
    new RegExp(`in etcd ${etcd!.endpoint} \\(key /eve-cni/macs/${mac}\\)`),
  );
  assert.deepEqual(await findLeaks(m.b, [podB], { otherPorts: [DHCP_PORT] }), []);
  const del = await cni(CNIDRIVE, m.b, "del", podB, net1);
  assert.equal(del.code, 0, del.stderr);
  // Node A's pod never noticed.
  assert.ok((await ping(onA.pod, SEGMENT.server)).ok);

  // The app leaves node A: its DEL gives the claim back, and node B may have the MAC.
  await detach(CNIDRIVE, m.a, onA);
  assert.deepEqual(await etcd!.range("/eve-cni/macs/"), []);
  const onB = await attach(CNIDRIVE, m.b, podB, [net1]);
  const held = await etcd!.range(`/eve-cni/macs/${mac}`);
  assert.equal(JSON.parse(held[0]!.value).node, "node-b");
  await detach(CNIDRIVE, m.b, onB);
  assert.deepEqual(await findLeaks(m.b, [podB], { otherPorts: [DHCP_PORT] }), []);
});

multiNodeTest(
  "e2e: without a store, doctor sees a MAC of its own behind the other node",
  {},
  async (
    m,
  ) => {
    const mac = await adapterMac(m.a, APP_WEB.uuid);
    const onA = await attach(CNIDRIVE, m.a, await webPod(m, m.a, "web-a"), [
      eth0(m.a),
      netX(m.a, "net1", SPAN.name, mac),
    ]);
    await webOnBoth(m, {});
    // Traffic from node A's pod teaches node B's VXLAN device which VTEP the MAC is behind.
    assert.ok((await ping(onA.pod, SEGMENT.server)).ok);
    const found = (await doctor(m.b)).findings.filter((f) => f.kind === "duplicate-mac");
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(
      found[0]!.message,
      new RegExp(
        `MAC ${mac} of app web adapter 0 on this node is also behind VXLAN vxlan${SPAN.vni} at VTEP 192\\.168\\.240\\.1`,
      ),
    );
    // Node A's doctor knows nothing wrong: node A's config has the app, node B's pod is not up.
    assert.deepEqual((await doctor(m.a)).findings.filter((f) => f.kind === "duplicate-mac"), []);
    await detach(CNIDRIVE, m.a, onA);
  },
);
