/**
 * Bridge availability end to end: while a network instance's bridge is down, and again once
 * it is gone, a pod's ADD on that NI through libcni fails at once with an error naming the NI
 * and the bridge, and leaves no veth on the node or in the pod; eve-cni-debug `bridges` and
 * `status` report the bridge (present/up/ports) in bridge-marker's resource form and count it
 * as a problem. Brought back up, the same ADD succeeds.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import {
  deleteLink,
  execArgv,
  listLinks,
  setLinkDown,
  setLinkUp,
  systemRunner,
} from "../../netns/mod.ts";
import { BridgesModelSchema } from "../../cli/eve-cni-debug/cmd_bridges.ts";
import { StatusModelSchema } from "../../cli/eve-cni-debug/cmd_status.ts";
import { ExitCode } from "../../cli/eve-cni-debug/exit_codes.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { cni, type E2ePod } from "../../scripts/sandbox/pod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { APPS, CNIDRIVE, e2eTest, NI, podLink, trackedPod } from "./harness.ts";
import { attach, detach, eth0, netX } from "./runtime.ts";

async function debug(node: E2eNode, ...args: string[]) {
  const argv = [EVE_CNI_DEBUG, "--socket", node.socket, "--json", ...args];
  const r = await systemRunner(execArgv(node.ns.ns, argv));
  return { code: r.code, json: JSON.parse(r.stdout) as unknown, stderr: r.stderr };
}

async function availabilityOfLocal(node: E2eNode) {
  const bridges = await debug(node, "bridges");
  const model = v.parse(BridgesModelSchema, bridges.json);
  const entry = model.availability.find((a) => a.networkInstance === NI.local.name);
  assert.ok(entry, JSON.stringify(model.availability));
  return { code: bridges.code, entry, problems: model.problems };
}

/** ADD of net1 on ni-local must fail naming NI and bridge, and leave no veth behind. */
async function refusedAdd(node: E2eNode, pod: E2ePod, why: RegExp): Promise<void> {
  const run = await cni(CNIDRIVE, node, "add", pod, netX(node, "net1", NI.local.name));
  assert.notEqual(run.code, 0, run.stdout);
  const text = `${run.stdout}${run.stderr}`;
  assert.match(text, /network instance \\?"ni-local\\?"/);
  assert.match(text, /bridge \\?"bn1\\?"/);
  assert.match(text, why);
  const nodeLinks = await listLinks(systemRunner, node.ns.ns);
  assert.deepEqual(nodeLinks.filter((l) => /^nbu\d+x\d+$/.test(l.name)).map((l) => l.name), []);
  assert.equal(await podLink(pod, "net1"), undefined);
}

e2eTest("e2e: a pod on an NI whose bridge is down or missing is refused, nothing made", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const before = await availabilityOfLocal(node);
  assert.deepEqual(
    [before.code, before.entry.resource, before.entry.present, before.entry.up],
    [ExitCode.Ok, "bridge.network.kubevirt.io/bn1", true, true],
  );
  assert.equal(before.entry.available, true);

  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const primary = await attach(CNIDRIVE, node, pod, [eth0(node)]);
  await setLinkDown(systemRunner, node.ns.ns, NI.local.bridge);
  await refusedAdd(node, pod, /is down/);
  const down = await availabilityOfLocal(node);
  assert.equal(down.code, ExitCode.ProblemsFound);
  assert.deepEqual([down.entry.present, down.entry.up, down.entry.available], [true, false, false]);
  assert.ok(down.problems.some((p) => p.includes('bridge "bn1" is down')), down.problems.join());
  const status = await debug(node, "status", "--cni-path", node.cniPath);
  const statusModel = v.parse(StatusModelSchema, status.json);
  const local = statusModel.bridges?.find((b) => b.networkInstance === NI.local.name);
  assert.deepEqual([local?.present, local?.up], [true, false]);
  assert.ok(statusModel.problems.some((p) => p.includes("bridge.network.kubevirt.io/bn1")));

  // Up again: the same ADD goes through, and its veth shows among the bridge's ports.
  await setLinkUp(systemRunner, node.ns.ns, NI.local.bridge);
  const net1 = await attach(CNIDRIVE, node, pod, [netX(node, "net1", NI.local.name)]);
  const up = await availabilityOfLocal(node);
  assert.equal(up.entry.available, true);
  assert.match(up.entry.ports.join(","), /^nbu1x\d+$/);
  await detach(CNIDRIVE, node, net1);

  await deleteLink(systemRunner, node.ns.ns, NI.local.bridge);
  await refusedAdd(node, pod, /does not exist/);
  const gone = await availabilityOfLocal(node);
  assert.deepEqual([gone.entry.present, gone.entry.available], [false, false]);
  await detach(CNIDRIVE, node, primary);
});
