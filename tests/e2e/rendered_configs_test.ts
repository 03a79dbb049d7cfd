/**
 * The node's CNI configs exactly as `eve-cni-debug render` writes them, used by libcni for an
 * EVE app pod: eth0 must not take the pod's default route, which belongs to the app's network
 * instance (EVE's eve-bridge: isDefaultGateway=false for EVE apps).
 * - EVE's layout (the default): Multus's config, whose cluster network cbr0 (flannel ->
 *   eve-bridge, portmap) runs eth0, and the ONE NAD, through which net1 and net2 reach two
 *   network instances, zedrouter picking each by the MAC Multus passes;
 * - --layout per-ni: the primary conflist and one NAD per NI (--from-zedrouter).
 * Only the sandbox's paths are patched in (state dir, host-local and flannel files, which
 * Multus and k3s would have).
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { APPS, CNIDRIVE, e2eTest, NI, podAddresses, podRoutes, trackedPod } from "./harness.ts";
import { eveNadConflist, sandboxedClusterNetwork } from "./eve_layout_harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { type E2eNode, POD_NETWORK } from "../../scripts/sandbox/node.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { EveNadSchema, MultusConfigSchema } from "../../cli/eve-cni-debug/eve_layout.ts";
import { attach, detach } from "./runtime.ts";

async function render(node: E2eNode, outDir: string, ...args: string[]): Promise<void> {
  const run = await new Deno.Command(EVE_CNI_DEBUG, {
    args: [
      "--socket",
      node.socket,
      "--log-file",
      node.logFile,
      "render",
      "--node-ip",
      POD_NETWORK.nodeIP,
      "--out-dir",
      outDir,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
}

/** Only net1's network instance gives the pod its default route; eth0 its cluster routes. */
async function assertEveAppRoutes(pod: Parameters<typeof podRoutes>[0]): Promise<void> {
  const routes = await podRoutes(pod);
  const defaults = routes.filter((r) => r.startsWith("default"));
  assert.deepEqual(defaults, ["default via 10.78.1.1 dev net1"], routes.join("\n"));
  for (const dst of [POD_NETWORK.serviceCIDR, `${POD_NETWORK.nodeIP}/32`]) {
    assert.ok(
      routes.some((r) => r.startsWith(`${dst} via ${POD_NETWORK.gateway}`) && r.endsWith("eth0")),
      `${dst} via eth0: ${routes.join("\n")}`,
    );
  }
}

e2eTest("e2e: EVE's rendered layout (Multus cbr0 + one NAD), the NI picked by the MAC", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const outDir = `${node.dir}/rendered`;
  await render(node, outDir);
  const multus = v.parse(
    MultusConfigSchema,
    JSON.parse(await Deno.readTextFile(`${outDir}/00-multus.conf`)),
  );
  const cluster = await sandboxedClusterNetwork(node, multus.delegates[0]);
  const nad = v.parse(
    EveNadSchema,
    parseYaml(await Deno.readTextFile(`${outDir}/nad-network-instance-attachment.yaml`)),
  );
  const nadConflist = await eveNadConflist(node, {}, JSON.parse(nad.spec.config));

  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, [
    { ifname: "eth0", conflist: cluster.conflist, path: cluster.path },
    { ifname: "net1", conflist: nadConflist.path, mac: APPS.nginx.local.mac },
    { ifname: "net2", conflist: nadConflist.path, mac: APPS.nginx.local2.mac },
  ]);
  // One NAD, two network instances: each interface got the reservation of the NI its MAC is on.
  assert.deepEqual(await podAddresses(pod, "net1"), [`${APPS.nginx.local.ip}/24`]);
  assert.deepEqual(await podAddresses(pod, "net2"), [`${APPS.nginx.local2.ip}/24`]);
  await assertEveAppRoutes(pod);

  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});

e2eTest("e2e: the per-NI rendered layout keeps an EVE app's default route on its NI", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const outDir = `${node.dir}/rendered`;
  await render(
    node,
    outDir,
    "--layout",
    "per-ni",
    "--from-zedrouter",
    "--node",
    "node1",
    "--alloc-file",
    `${node.dir}/node-subnets.json`,
  );
  const primary = JSON.parse(await Deno.readTextFile(`${outDir}/10-eve-bridge.conflist`));
  const eveBridge = primary.plugins[0];
  assert.equal(eveBridge.type, "eve-bridge");
  assert.equal(eveBridge.nodeIP, `${POD_NETWORK.nodeIP}/32`);
  eveBridge.stateDir = node.stateDir;
  eveBridge.ipam.dataDir = node.ipamDir;
  const primaryPath = `${node.dir}/rendered-primary.conflist`;
  await Deno.writeTextFile(primaryPath, JSON.stringify(primary));
  const nad = parseYaml(await Deno.readTextFile(`${outDir}/nad-${NI.local.name}.yaml`));
  assert.equal(nad.kind, "NetworkAttachmentDefinition");
  const nadConf = JSON.parse(nad.spec.config);
  nadConf.plugins[0].stateDir = node.stateDir;
  const nadPath = `${node.dir}/rendered-${NI.local.name}.conflist`;
  await Deno.writeTextFile(nadPath, JSON.stringify(nadConf));

  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, [
    { ifname: "eth0", conflist: primaryPath },
    { ifname: "net1", conflist: nadPath, mac: APPS.nginx.local.mac },
  ]);
  await assertEveAppRoutes(pod);

  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
