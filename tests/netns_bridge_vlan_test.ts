/**
 * Root test, only where the kernel's bridges filter VLANs (found out first on a scratch
 * bridge in a throwaway namespace; the test's name says why when it is skipped): a Linux
 * bridge with vlan_filtering, three "pods" as access ports, two on VLAN 100 and one on VLAN
 * 200; same VLAN answers a ping, the other does not. Elsewhere the path is covered by its
 * commands (cli/fake-zedrouter/vlan_test.ts).
 */
import assert from "node:assert/strict";
import {
  addAddr,
  bridgeVlanSupport,
  createVethPair,
  enableVlanFiltering,
  ensureBridge,
  execArgv,
  type Netns,
  setAccessVlan,
  setLinkUp,
  setMaster,
  systemRunner as run,
} from "../netns/mod.ts";
import { isRoot, skipReason, withSandbox } from "../scripts/sandbox/sandbox.ts";

async function vlanSkipReason(): Promise<string | undefined> {
  const tools = skipReason("bridge", "ping");
  if (tools) return tools;
  let why: string | null = null;
  await withSandbox(async (sb) => {
    why = await bridgeVlanSupport(run, (await sb.netns("probe")).ns);
  });
  return why === null ? undefined : `this kernel's bridges cannot filter VLANs: ${why}`;
}

const SKIP = isRoot() ? await vlanSkipReason() : "needs root";

async function ping(ns: Netns, ip: string): Promise<boolean> {
  return (await run(execArgv(ns, ["ping", "-c1", "-W1", ip]))).code === 0;
}

Deno.test({
  name: `Linux bridge VLANs: access ports on VLAN 100 reach each other, not VLAN 200${
    SKIP ? ` (skipped: ${SKIP})` : ""
  }`,
  ignore: SKIP !== undefined,
  fn: () =>
    withSandbox(async (sb) => {
      const node = await sb.netns("node");
      await ensureBridge(run, node.ns, "bn1");
      await enableVlanFiltering(run, node.ns, "bn1");
      const pods: Netns[] = [];
      for (const [i, vlan] of [[1, 100], [2, 100], [3, 200]] as const) {
        const pod = await sb.netns(`pod${i}`);
        await createVethPair(run, node.ns, {
          hostName: `h${i}`,
          peerName: "eth0",
          peerNetns: pod.ns,
        });
        await setMaster(run, node.ns, `h${i}`, "bn1");
        await setAccessVlan(run, node.ns, `h${i}`, vlan);
        await setLinkUp(run, node.ns, `h${i}`);
        await addAddr(run, pod.ns, "eth0", `10.67.0.${i}/24`);
        await setLinkUp(run, pod.ns, "eth0");
        pods.push(pod.ns);
      }
      assert.ok(await ping(pods[0]!, "10.67.0.2"), "VLAN 100 to VLAN 100");
      assert.ok(!(await ping(pods[0]!, "10.67.0.3")), "VLAN 100 must not reach VLAN 200");
    }),
});
