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
import { CNIDRIVE } from "./harness.ts";
import { attachOvsPod, debugJson, OVS_NI, ovsLocalNiConfig, ovsTest } from "./ovs_harness.ts";
import { detach } from "./runtime.ts";

/** Named like zedrouter's veths, as a pod's left behind by a DEL that never came would be. */
const STRAY = "nbu7x9";

ovsTest(
  "e2e: doctor reports an OVS port no attachment owns, not an attached pod's port",
  ovsLocalNiConfig(),
  async (ctx) => {
    const { node, ovs } = ctx;
    const { attached, attachment } = await attachOvsPod(ctx);
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
  },
);
