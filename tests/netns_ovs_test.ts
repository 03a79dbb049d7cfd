/**
 * Root tests: a private Open vSwitch (ovsdb-server + ovs-vswitchd in the sandbox's node
 * namespace, files in its dir) with a userspace-datapath bridge; three "pods" on it, two as
 * access ports on VLAN 100 and one on VLAN 200. Read back from the database (bridge, tag,
 * trunks); proven by ping (same VLAN answers, the other does not); both daemons gone by pid
 * afterwards.
 */
import assert from "node:assert/strict";
import {
  addAddr,
  addOvsPort,
  createVethPair,
  deleteOvsBridge,
  deleteOvsPort,
  ensureOvsBridge,
  execArgv,
  getLink,
  getOvsPort,
  isAlive,
  listOvsPorts,
  type Netns,
  ovsBridgeExists,
  setLinkUp,
  systemRunner as run,
} from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { ovsSkipReason, startSandboxOvs } from "../scripts/sandbox/ovs.ts";

const SKIP = ovsSkipReason();

async function ping(ns: Netns, ip: string): Promise<boolean> {
  return (await run(execArgv(ns, ["ping", "-c1", "-W1", ip]))).code === 0;
}

sandboxTest(
  `OVS userspace bridge: access ports on VLAN 100 reach each other, VLAN 200 does not${
    SKIP ? ` (skipped: ${SKIP})` : ""
  }`,
  SKIP ? ["ovs-vswitchd"] : ["ping"],
  async (sb) => {
    const node = await sb.netns("node");
    const ovs = await startSandboxOvs(sb, node);
    try {
      await ensureOvsBridge(run, ovs.db, "obr1", {
        datapathType: "netdev",
        mac: "02:00:00:00:0b:01",
        mtu: 1500,
      });
      assert.equal(await ovsBridgeExists(run, ovs.db, "obr1"), true);
      assert.equal(await ovsBridgeExists(run, ovs.db, "obr9"), false);
      // The bridge's own interface is a tap device in the node namespace (userspace datapath).
      const tap = await getLink(run, node.ns, "obr1");
      assert.equal(tap?.mac, "02:00:00:00:0b:01");
      const pods = [];
      for (const [i, tag] of [[1, 100], [2, 100], [3, 200]] as const) {
        const pod = await sb.netns(`pod${i}`);
        await createVethPair(run, node.ns, {
          hostName: `h${i}`,
          peerName: "eth0",
          peerNetns: pod.ns,
        });
        await addAddr(run, pod.ns, "eth0", `10.66.0.${i}/24`);
        await setLinkUp(run, pod.ns, "eth0");
        await setLinkUp(run, node.ns, `h${i}`);
        await addOvsPort(run, ovs.db, "obr1", `h${i}`, { tag, trunks: [] });
        pods.push(pod);
      }
      await addOvsPort(run, ovs.db, "obr1", "h1", { tag: 100, trunks: [] }); // again: no change
      assert.deepEqual(await listOvsPorts(run, ovs.db, "obr1"), ["h1", "h2", "h3"]);
      assert.deepEqual(await getOvsPort(run, ovs.db, "h3"), {
        name: "h3",
        bridge: "obr1",
        tag: 200,
        trunks: [],
      });
      assert.equal(await getOvsPort(run, ovs.db, "nope"), undefined);
      assert.ok(await ping(pods[0]!.ns, "10.66.0.2"), "VLAN 100 to VLAN 100");
      assert.ok(!(await ping(pods[0]!.ns, "10.66.0.3")), "VLAN 100 must not reach VLAN 200");

      await deleteOvsPort(run, ovs.db, "h2");
      await deleteOvsPort(run, ovs.db, "h2"); // a missing port is success
      assert.deepEqual(await listOvsPorts(run, ovs.db, "obr1"), ["h1", "h3"]);
      await deleteOvsBridge(run, ovs.db, "obr1");
      assert.equal(await getLink(run, node.ns, "obr1"), undefined);
    } finally {
      await ovs.stop();
    }
    assert.ok(!isAlive(ovs.pids.vswitchd) && !isAlive(ovs.pids.ovsdb), "both daemons stopped");
  },
);
