/**
 * Issue 17, item 3: `eve-cni-debug doctor --fix` stops only a process eve-bridge's own check
 * proves its udhcpc (core/eve/dhcp_client.ts). A record naming an unrelated `sleep`, or our
 * udhcpc with another start time than recorded (what a recycled pid looks like), is reported
 * and left running; read back from /proc.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { isAlive } from "../netns/mod.ts";
import { DoctorModelSchema } from "../cli/eve-cni-debug/cmd_doctor.ts";
import { readProcessFacts } from "../core/eve/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { APP_MAC, attachPod, type LiveNode, startNode } from "./eve_cni_debug_harness.ts";

const TOOLS = ["udhcpc", "dnsmasq"];

async function doctorFix(live: LiveNode) {
  const r = await live.debug("--json", "doctor", "--fix");
  return v.parse(DoctorModelSchema, JSON.parse(r.stdout));
}

/** Rewrites the record's DHCP client fields. */
async function forge(statePath: string, dhcp: Record<string, unknown>): Promise<void> {
  const state = JSON.parse(await Deno.readTextFile(statePath));
  state.dhcp = { ...state.dhcp, ...dhcp };
  await Deno.writeTextFile(statePath, JSON.stringify(state));
}

sandboxTest(
  "security: doctor --fix leaves a foreign pid a record names alone",
  TOOLS,
  async (sb) => {
    const live = await startNode(sb);
    const pod = await attachPod(live, { role: "pod1", podName: "nginx-1a2b3-x7k2p", mac: APP_MAC });
    const sleep = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" })
      .spawn();
    sb.track(sleep.pid);
    // The record names the sleep (in the node's namespace, not the pod's: an "orphan" client).
    await forge(pod.statePath, { pid: sleep.pid });
    const model = await doctorFix(live);
    const finding = model.findings.find((f) => f.subject === `pid ${sleep.pid}`);
    assert.ok(finding?.fixed, JSON.stringify(model.findings));
    assert.equal(finding.fixed.done, false);
    assert.match(finding.fixed.message, /left pid \d+ alone: pid \d+ runs \S*sleep, not udhcpc/);
    assert.equal(isAlive(sleep.pid), true, "the sleep still runs");
    assert.match(readProcessFacts(sleep.pid)?.argv[0] ?? "", /sleep$/);
  },
);

sandboxTest(
  "security: doctor --fix leaves our udhcpc alone when its start time differs",
  TOOLS,
  async (sb) => {
    const live = await startNode(sb);
    const pod = await attachPod(live, { role: "pod1", podName: "nginx-1a2b3-x7k2p", mac: APP_MAC });
    const started = readProcessFacts(pod.dhcpPid)!.startTime;
    // The record's client "started" earlier: the pid now names another process.
    await forge(pod.statePath, { startTime: started - 1 });
    await Deno.remove(pod.netns.path.replace("/var/run/netns/", "/run/netns/")).catch(() => {});
    const model = await doctorFix(live);
    for (const f of model.findings.filter((f) => f.fix?.action === "stop-pid")) {
      assert.equal(f.fixed?.done, false, JSON.stringify(f));
      assert.match(f.fixed?.message ?? "", /was reused/);
    }
    assert.equal(isAlive(pod.dhcpPid), true, "the udhcpc still runs");
  },
);
