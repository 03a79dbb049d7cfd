/**
 * Declarative apply with probe and rollback, end to end: with a pod attached through libcni,
 * `fake-zedrouter apply --config NEW` whose new switch NI names a port the node lacks fails
 * (FailedToConfigure, naming the NI and the port), and everything goes back: the changed
 * NI's MTU, no new bridge, the pod still attached and reaching its gateway. The outcome per
 * NI shows in Inspect.Applies and `eve-cni-debug status --json`. A good apply then succeeds
 * (the kernel shows the new MTU); a SIGHUP reload of a bad file is recorded and rolled back
 * the same way.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { execArgv, getLink, systemRunner } from "../../netns/mod.ts";
import { StatusModelSchema } from "../../cli/eve-cni-debug/cmd_status.ts";
import type { ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { applyToNode, niResult } from "./apply_harness.ts";
import { APPS, CNIDRIVE, e2eConfig, e2eTest, NI, onLocalNi, ping, trackedPod } from "./harness.ts";
import { attach, detach } from "./runtime.ts";

/** e2eConfig with ni-local2's MTU changed and, when `badPort`, a new NI on a missing port. */
function changed(mtu: number, badPort: boolean): ZedrouterConfig {
  const config = e2eConfig();
  const nis = config.networkInstances.map((ni) => ni.name === NI.local2.name ? { ...ni, mtu } : ni);
  if (badPort) nis.push({ name: "ni-new", type: "switch", bridge: "bn9", port: "noport0" });
  return { ...config, networkInstances: nis };
}

e2eTest("e2e: apply probes what changed and rolls back on failure; attachments stay", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, onLocalNi(node, APPS.nginx));
  const apply = (config: ZedrouterConfig) => applyToNode(node, config);

  const bad = await apply(changed(1300, true));
  assert.equal(bad.code, 1);
  assert.equal(bad.record.outcome, "FailedToConfigure");
  assert.equal(bad.record.rolledBack, true);
  assert.match(bad.record.error ?? "", /network instance "ni-new".*noport0/);
  const byName = niResult;
  assert.deepEqual(
    [byName(bad.record, "ni-new")?.change, byName(bad.record, "ni-local2")?.change],
    ["added", "changed"],
  );
  // Back to the previous config: the old MTU, no new bridge, the pod still served.
  assert.equal((await getLink(systemRunner, node.ns.ns, NI.local2.bridge))?.mtu, 1400);
  assert.equal(await getLink(systemRunner, node.ns.ns, "bn9"), undefined);
  const nis = (await node.inspect("Inspect.NetworkInstances")).networkInstances;
  assert.ok(!nis.some((ni) => ni.name === "ni-new"));
  const { attachments } = await node.inspect("Inspect.Attachments");
  assert.deepEqual(attachments.map((a) => [a.podName, a.problems]), [[pod.name, []]]);
  const gw = await ping(pod, "10.78.1.1");
  assert.ok(gw.ok, gw.output);

  const statusArgv = [EVE_CNI_DEBUG, "--socket", node.socket, "--json", "status"];
  const status = await systemRunner(
    execArgv(node.ns.ns, [...statusArgv, "--cni-path", node.cniPath]),
  );
  const model = v.parse(StatusModelSchema, JSON.parse(status.stdout));
  assert.equal(model.lastApply?.outcome, "FailedToConfigure");
  assert.equal(byName(model.lastApply!, "ni-new")?.error?.includes("noport0"), true);
  assert.ok(model.problems.some((p) => p.includes("FailedToConfigure")), model.problems.join());

  const good = await apply(changed(1300, false));
  assert.equal(good.code, 0, JSON.stringify(good.record));
  assert.equal(good.record.outcome, "SuccessfullyConfigured");
  assert.deepEqual(good.record.networkInstances, [
    { name: NI.local2.name, change: "changed", outcome: "SuccessfullyConfigured", error: null },
  ]);
  assert.equal((await getLink(systemRunner, node.ns.ns, NI.local2.bridge))?.mtu, 1300);

  // SIGHUP reloads the file the same way: a bad one is recorded and rolled back.
  await Deno.writeTextFile(node.configPath, JSON.stringify(changed(1200, true)));
  Deno.kill(node.zedrouter.pid, "SIGHUP");
  let applies = (await node.inspect("Inspect.Applies")).applies;
  for (let i = 0; applies.length < 3 && i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    applies = (await node.inspect("Inspect.Applies")).applies;
  }
  const reload = applies.at(-1)!;
  assert.deepEqual([reload.source, reload.outcome, reload.rolledBack], [
    "reload",
    "FailedToConfigure",
    true,
  ]);
  assert.equal((await getLink(systemRunner, node.ns.ns, NI.local2.bridge))?.mtu, 1300);
  assert.equal(await getLink(systemRunner, node.ns.ns, "bn9"), undefined);

  await detach(CNIDRIVE, node, attached);
});
