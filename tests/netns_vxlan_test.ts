/**
 * Root tests: VXLAN devices joining two "nodes" (namespaces linked by a veth underlay) into
 * one L2 segment, by unicast peers in the fdb and by a multicast group; read back from the
 * kernel (device details, flood list, the learned remote MAC) and proven by a ping between
 * two "pods" on the two nodes' bridges.
 */
import assert from "node:assert/strict";
import {
  addAddr,
  addFloodPeer,
  createVethPair,
  createVxlan,
  deleteFloodPeer,
  ensureBridge,
  execArgv,
  getLink,
  getVxlan,
  listFdb,
  listFloodPeers,
  type Netns,
  runChecked,
  setLinkUp,
  setMaster,
  systemRunner as run,
} from "../netns/mod.ts";
import { type Sandbox, sandboxTest } from "../scripts/sandbox/sandbox.ts";

const UNDERLAY = { a: "192.168.240.1", b: "192.168.240.2" };

/** Two nodes joined by a veth underlay `ul0`, each with bridge bn1 and a pod on it. */
async function twoNodes(sb: Sandbox) {
  const [a, b] = [await sb.netns("node-a"), await sb.netns("node-b")];
  await createVethPair(run, a.ns, { hostName: "ul0", peerName: "ul0", peerNetns: b.ns });
  const pods: Netns[] = [];
  for (const [node, ip, podIp] of [[a, UNDERLAY.a, "10.77.0.1"], [b, UNDERLAY.b, "10.77.0.2"]]) {
    const ns = (node as typeof a).ns;
    await addAddr(run, ns, "ul0", `${ip}/24`);
    await setLinkUp(run, ns, "ul0");
    await ensureBridge(run, ns, "bn1", { mtu: 1450 });
    const pod = await sb.netns(`pod-${(node as typeof a).name.slice(-1)}`);
    await createVethPair(run, ns, {
      hostName: "nbu1x1",
      peerName: "net1",
      peerNetns: pod.ns,
      mtu: 1450,
    });
    await setMaster(run, ns, "nbu1x1", "bn1");
    await setLinkUp(run, ns, "nbu1x1");
    await addAddr(run, pod.ns, "net1", `${podIp}/24`);
    await setLinkUp(run, pod.ns, "net1");
    pods.push(pod.ns);
  }
  return { a: a.ns, b: b.ns, podA: pods[0]!, podB: pods[1]! };
}

async function joinBridge(ns: Netns, dev: string): Promise<void> {
  await setMaster(run, ns, dev, "bn1");
  await setLinkUp(run, ns, dev);
}

async function ping(from: Netns, to: string): Promise<void> {
  await runChecked(run, execArgv(from, ["ping", "-c", "1", "-W", "5", to]));
}

sandboxTest("vxlan with unicast peers: one L2 segment across two nodes", ["ping"], async (sb) => {
  const n = await twoNodes(sb);
  for (const [ns, local, peer] of [[n.a, UNDERLAY.a, UNDERLAY.b], [n.b, UNDERLAY.b, UNDERLAY.a]]) {
    const node = ns as Netns;
    await createVxlan(run, node, {
      name: "vxlan100",
      vni: 100,
      local: local as string,
      port: 4789,
      group: null,
      device: "ul0",
      mtu: 1450,
    });
    await addFloodPeer(run, node, "vxlan100", peer as string);
    await addFloodPeer(run, node, "vxlan100", peer as string); // append twice: still one
    await joinBridge(node, "vxlan100");
  }
  const info = await getVxlan(run, n.a, "vxlan100");
  assert.deepEqual(
    { ...info, adminUp: undefined },
    {
      name: "vxlan100",
      vni: 100,
      local: UNDERLAY.a,
      group: null,
      device: "ul0",
      port: 4789,
      learning: true,
      mtu: 1450,
      adminUp: undefined,
      master: "bn1",
    },
  );
  assert.deepEqual(await listFloodPeers(run, n.a, "vxlan100"), [UNDERLAY.b]);
  await ping(n.podA, "10.77.0.2");
  // The bridge on A learned pod B's MAC behind its VXLAN port, and the VXLAN device which
  // VTEP that MAC lives behind.
  const macB = (await getLink(run, n.podB, "net1"))!.mac!;
  const fdb = await listFdb(run, n.a, { dev: "vxlan100" });
  assert.ok(fdb.some((e) => e.mac === macB && e.master === "bn1"), "the bridge learned it");
  const vtep = fdb.find((e) => e.mac === macB && e.dst !== null);
  assert.equal(vtep?.dst, UNDERLAY.b, "the VXLAN device learned the VTEP");
  await deleteFloodPeer(run, n.a, "vxlan100", UNDERLAY.b);
  assert.deepEqual(await listFloodPeers(run, n.a, "vxlan100"), []);
  assert.equal(await getVxlan(run, n.a, "bn1"), undefined, "a bridge is not a VXLAN device");
});

sandboxTest(
  "vxlan with a multicast group: one L2 segment across two nodes",
  ["ping"],
  async (sb) => {
    const n = await twoNodes(sb);
    for (const [ns, local] of [[n.a, UNDERLAY.a], [n.b, UNDERLAY.b]]) {
      await createVxlan(run, ns as Netns, {
        name: "vxlan200",
        vni: 200,
        local: local as string,
        port: 4789,
        group: "239.1.1.200",
        device: "ul0",
      });
      await joinBridge(ns as Netns, "vxlan200");
    }
    const info = await getVxlan(run, n.b, "vxlan200");
    assert.equal(info?.group, "239.1.1.200");
    assert.equal(info?.vni, 200);
    assert.deepEqual(await listFloodPeers(run, n.b, "vxlan200"), ["239.1.1.200"]);
    await ping(n.podB, "10.77.0.1");
  },
);

sandboxTest("vxlan: bad input is refused before ip runs, naming the field", [], async (sb) => {
  const node = await sb.netns("node");
  const spec = { name: "vx1", vni: 1, local: "10.0.0.1", port: 4789, group: null, device: null };
  await assert.rejects(createVxlan(run, node.ns, { ...spec, vni: 0 }), /Invalid VNI 0/);
  await assert.rejects(createVxlan(run, node.ns, { ...spec, vni: 2 ** 24 }), /Invalid VNI/);
  await assert.rejects(createVxlan(run, node.ns, { ...spec, port: 0 }), /Invalid VXLAN UDP port/);
  await assert.rejects(
    createVxlan(run, node.ns, { ...spec, local: "10.0.0.1; reboot" }),
    /Invalid VXLAN local address/,
  );
  await assert.rejects(
    createVxlan(run, node.ns, { ...spec, group: "239.1.1.1" }),
    /multicast group needs a device/,
  );
  await assert.rejects(addFloodPeer(run, node.ns, "vx1", "not-an-ip"), /Invalid VXLAN peer/);
  assert.equal(await getLink(run, node.ns, "vx1"), undefined);
});
