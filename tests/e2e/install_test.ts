/**
 * eve-bridge installed the way CNI plugins usually are: a symlink in the runtime's plugin
 * directory (`ln -s .../dist/bin/eve-bridge /opt/cni/bin/`), next to symlinks of the reference
 * plugins, and driven through libcni with that directory as the only CNI_PATH.
 */
import assert from "node:assert/strict";
import { APPS, CNIDRIVE, e2eTest, onLocalNi, podAddresses, trackedPod } from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { CNI_BIN, EVE_BRIDGE, REFERENCE_PLUGINS } from "../../scripts/sandbox/paths.ts";
import { attach, detach } from "./runtime.ts";

e2eTest("e2e: eve-bridge runs from a plugin dir of symlinks (/opt/cni/bin style)", {}, async (
  ctx,
) => {
  const binDir = `${ctx.node.dir}/opt-cni-bin`;
  await Deno.mkdir(binDir);
  await Deno.symlink(EVE_BRIDGE, `${binDir}/eve-bridge`);
  for (const plugin of REFERENCE_PLUGINS) {
    await Deno.symlink(`${CNI_BIN}/${plugin}`, `${binDir}/${plugin}`);
  }
  const node = { ...ctx.node, cniPath: binDir };
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, onLocalNi(node, APPS.nginx));
  assert.deepEqual(await podAddresses(pod, "net1"), [`${APPS.nginx.local.ip}/24`]);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
