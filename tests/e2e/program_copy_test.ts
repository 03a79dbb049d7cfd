/**
 * eve-bridge installed the way EVE's kube-init installs it: the program file copied BY CONTENT
 * into the runtime's plugin directory (/var/lib/cni/bin, /opt/cni/bin) beside copies of the
 * reference plugins, nothing else of the build near it, and called by libcni from a runtime
 * that passes an empty PATH and no HOME. udhcpc and nsenter must then be found in the standard
 * directories, and udhcpc's hook must call the copy back (not the build it came from).
 */
import assert from "node:assert/strict";
import {
  APPS,
  CNIDRIVE,
  e2eTest,
  onLocalNi,
  podAddresses,
  podLink,
  trackedPod,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import {
  type Attachment,
  cnidriveArgv,
  type CniOp,
  type E2ePod,
} from "../../scripts/sandbox/pod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { CNI_BIN, EVE_BRIDGE, REFERENCE_PLUGINS } from "../../scripts/sandbox/paths.ts";
import { findTool } from "../../scripts/sandbox/sandbox.ts";

/** One libcni call with a bare runtime's environment: PATH empty, HOME unset, nothing else. */
async function bareCni(node: E2eNode, op: CniOp, pod: E2ePod, attachment: Attachment) {
  const [nsenter, ...args] = cnidriveArgv(CNIDRIVE, node, op, pod, attachment);
  const out = await new Deno.Command(findTool(nsenter!)!, {
    args,
    env: { PATH: "" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const run = { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  assert.equal(run.code, 0, `${op} ${attachment.ifname}: ${run.stderr}`);
  return run;
}

e2eTest(
  "e2e: a by-content copy of dist/bin/eve-bridge attaches and detaches with no PATH and no HOME",
  {},
  async (ctx) => {
    const binDir = `${ctx.node.dir}/var-lib-cni-bin`;
    await Deno.mkdir(binDir);
    const copy = `${binDir}/eve-bridge`;
    await Deno.writeFile(copy, await Deno.readFile(EVE_BRIDGE), { mode: 0o755 });
    for (const plugin of REFERENCE_PLUGINS) {
      await Deno.writeFile(`${binDir}/${plugin}`, await Deno.readFile(`${CNI_BIN}/${plugin}`), {
        mode: 0o755,
      });
    }
    const node = { ...ctx.node, cniPath: binDir };
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const attachments = onLocalNi(node, APPS.nginx);

    for (const attachment of attachments) await bareCni(node, "add", pod, attachment);
    assert.deepEqual(await podAddresses(pod, "net1"), [`${APPS.nginx.local.ip}/24`]);
    assert.equal((await podAddresses(pod, "eth0")).length, 1);
    // The DHCP client's hook calls the copy back, with no path into the build.
    const hook = await Deno.readTextFile(`${node.stateDir}/udhcpc-hook.sh`);
    assert.match(hook, new RegExp(`'${copy}' dhcp-event`));
    assert.doesNotMatch(hook, /dist\//);

    for (const attachment of [...attachments].reverse()) {
      await bareCni(node, "del", pod, attachment);
    }
    assert.equal(await podLink(pod, "net1"), undefined);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
