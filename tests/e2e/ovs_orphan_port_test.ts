/**
 * eve-cni-debug doctor on an OVS-backed NI (userspace datapath): the pod's host veth, an OVS
 * port with an attachment, is no orphan; a veth plugged into the NI's OVS bridge that no
 * attachment owns is an orphan-veth finding naming the bridge and the port (the kernel shows
 * it no master, so only OVS's database, through zedrouter, tells). Once it is gone again the
 * doctor finds nothing.
 */
import assert from "node:assert/strict";
import {
  addOvsPort,
  deleteLink,
  deleteOvsPort,
  execArgv,
  runChecked,
  systemRunner,
} from "../../netns/mod.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { DoctorModelSchema } from "../../cli/eve-cni-debug/cmd_doctor.ts";
import { ExitCode } from "../../cli/eve-cni-debug/exit_codes.ts";
import { APPS, CNIDRIVE, trackedPod } from "./harness.ts";
import { debugJson, ovsTest } from "./ovs_harness.ts";
import { attach, detach, eth0, netX } from "./runtime.ts";

const OVS_NI = { name: "ni-ovs", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a05", bridge: "obr1" };
const ADAPTER = { mac: "02:16:3e:78:05:01", ip: "10.78.5.50" };
/** Named like zedrouter's veths, as a pod's left behind by a DEL that never came would be. */
const STRAY = "nbu7x9";

ovsTest("e2e: doctor reports an OVS port no attachment owns, not an attached pod's port", {
  networkInstances: [{
    ...OVS_NI,
    type: "local",
    bridgeType: "ovs",
    subnet: "10.78.5.0/24",
    gateway: "10.78.5.1",
  }],
  apps: [{
    name: APPS.nginx.name,
    uuid: APPS.nginx.uuid,
    adapters: [{ networkInstance: OVS_NI.name, ...ADAPTER }],
  }],
}, async (ctx) => {
  const { node, ovs } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, [
    eth0(node),
    netX(node, "net1", OVS_NI.name, ADAPTER.mac),
  ]);
  const [attachment] = (await node.inspect("Inspect.Attachments")).attachments;
  const doctor = () =>
    debugJson(
      node,
      DoctorModelSchema,
      "--state-dir",
      node.stateDir,
      "--zedrouter-state-dir",
      node.zedrouterStateDir,
      "doctor",
    );
  const clean = await doctor();
  assert.equal(clean.code, ExitCode.Ok, JSON.stringify(clean.model.findings));

  const ip = (args: string[]) => runChecked(systemRunner, execArgv(node.ns.ns, ["ip", ...args]));
  await ip(["link", "add", STRAY, "type", "veth", "peer", "name", `${STRAY}p`]);
  try {
    await addOvsPort(systemRunner, ovs.db, OVS_NI.bridge, STRAY);
    const found = await doctor();
    assert.equal(found.code, ExitCode.ProblemsFound);
    const orphans = found.model.findings.filter((f) => f.kind === "orphan-veth");
    assert.deepEqual(orphans.map((f) => f.subject), [STRAY]);
    assert.match(
      orphans[0]!.message,
      /host veth nbu7x9 is an OVS port of obr1 \(network instance "ni-ovs"\)/,
    );
    assert.match(orphans[0]!.hint, /ovs-vsctl --if-exists del-port obr1 nbu7x9/);
    // The attached pod's port is an OVS port too, and no finding names it.
    assert.ok(!found.model.findings.some((f) => f.subject === attachment!.hostIfName));
    // The sandbox's leak check reads OVS ports the same way.
    const leaks = await findLeaks(node, ctx.pods);
    assert.ok(leaks.includes(`OVS port "${STRAY}" still on bridge "obr1"`), leaks.join("\n"));
  } finally {
    await deleteOvsPort(systemRunner, ovs.db, STRAY);
    await deleteLink(systemRunner, node.ns.ns, STRAY);
  }
  const after = await doctor();
  assert.equal(after.code, ExitCode.Ok, JSON.stringify(after.model.findings));
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
