/**
 * The node's CNI configs exactly as `eve-cni-debug render --from-zedrouter` writes them (the
 * primary conflist for /etc/cni/net.d and one NetworkAttachmentDefinition per NI), used by
 * libcni for an EVE app pod: eth0 must not take the pod's default route, which belongs to
 * the app's network instance (EVE's eve-bridge: isDefaultGateway=false for EVE apps).
 * Only the paths of the sandbox are patched in (state dir, host-local data dir).
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { APPS, CNIDRIVE, e2eTest, NI, podRoutes, trackedPod } from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { POD_NETWORK } from "../../scripts/sandbox/node.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { attach, detach } from "./runtime.ts";

e2eTest("e2e: an EVE app pod on rendered configs keeps its default route on its NI", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const outDir = `${node.dir}/rendered`;
  const render = await new Deno.Command(EVE_CNI_DEBUG, {
    args: [
      "--socket",
      node.socket,
      "--log-file",
      node.logFile,
      "render",
      "--from-zedrouter",
      "--node",
      "node1",
      "--alloc-file",
      `${node.dir}/node-subnets.json`,
      "--node-ip",
      POD_NETWORK.nodeIP,
      "--out-dir",
      outDir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(render.code, 0, new TextDecoder().decode(render.stderr));

  const primary = JSON.parse(await Deno.readTextFile(`${outDir}/10-eve-bridge.conflist`));
  const eveBridge = primary.plugins[0];
  assert.equal(eveBridge.type, "eve-bridge");
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
  const routes = await podRoutes(pod);
  const defaults = routes.filter((r) => r.startsWith("default"));
  assert.deepEqual(defaults, ["default via 10.78.1.1 dev net1"], routes.join("\n"));
  assert.ok(
    routes.some((r) => r.startsWith(`${POD_NETWORK.serviceCIDR} via`) && r.endsWith("dev eth0")),
  );

  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
