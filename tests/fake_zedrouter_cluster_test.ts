/**
 * fake-zedrouter with a shared store it cannot reach: a MAC must be claimed across the cluster
 * before it goes on the wire, so ConnectPodAtL2 fails closed, naming the MAC, the app and the
 * etcd endpoint, before any veth is made (nothing on the node, nothing recorded).
 */
import assert from "node:assert/strict";
import { getLink, listBridgePorts, listLinks, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { freePort } from "./etcd_harness.ts";
import { goCall, inspect, podArgs, startZedrouter } from "./fake_zedrouter_harness.ts";

const APP = "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
const MAC = "02:16:3e:51:00:01";

sandboxTest("fake-zedrouter: an unreachable store refuses ConnectPodAtL2", ["go"], async (sb) => {
  const node = await sb.netns("node");
  const pod = await sb.netns("pod");
  const endpoint = `http://127.0.0.1:${freePort()}`;
  const path = `${sb.dir}/zr.yaml`;
  await Deno.writeTextFile(
    path,
    `cluster: {node: node-a, etcd: {endpoints: ["${endpoint}"], timeoutMs: 500}}
networkInstances:
  - {name: ni-air, type: switch, bridge: bn3}
apps:
  - {name: web, uuid: ${APP}, adapters: [{networkInstance: ni-air, mac: "${MAC}"}]}
`,
  );
  const zr = await startZedrouter(sb, node, { config: path });
  try {
    // The pod is named as Kubernetes names the app's pods: its kube name, then a suffix.
    const { apps } = await inspect(zr.socket, "Inspect.Apps");
    const podName = `${apps[0]!.kubeName}-5d8f7c-x2x9q`;
    const args = podArgs(podName, pod, "net1", MAC);
    const r = await goCall(zr.socket, "RPCServer.ConnectPodAtL2", args);
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.match(
      r.error,
      new RegExp(
        `cannot claim MAC ${MAC} of app ${APP} in the shared store: Cannot reach etcd at ${endpoint}`,
      ),
    );
    // Refused before the veth: no host end, no port on the bridge, no pod end, no attachment.
    assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
    assert.deepEqual(await listBridgePorts(systemRunner, node.ns, "bn3"), []);
    assert.deepEqual((await listLinks(systemRunner, pod.ns)).map((l) => l.name), ["lo"]);
    assert.deepEqual((await inspect(zr.socket, "Inspect.Attachments")).attachments, []);
  } finally {
    await zr.stop();
  }
});
