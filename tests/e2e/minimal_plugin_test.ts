/**
 * bench:attach's reference Deno plugin (tests/bench/minimal_eth0_plugin.js), driven by libcni
 * on the bench's own attachment (attach_floors.ts): its ADD must do bridge's work (an eth0 with an address from
 * host-local, read back from the pod's kernel) and its DEL undo it, or the bench's reference
 * row would time a failure.
 */
import assert from "node:assert/strict";
import { listAddrs, systemRunner } from "../../netns/mod.ts";
import { cniOk } from "../../scripts/sandbox/pod.ts";
import { floorTools, minimalPluginAttachment } from "../bench/attach_floors.ts";
import { APPS, CNIDRIVE, e2eTest, podLink, trackedPod } from "./harness.ts";

e2eTest(
  "e2e: the bench's delegate-only Deno plugin attaches and detaches eth0",
  {},
  async (ctx) => {
    const { node } = ctx;
    const tools = await floorTools();
    try {
      const attachment = await minimalPluginAttachment(node, tools);
      const pod = await trackedPod(ctx, "minimal", APPS.nginx);
      const result = await cniOk(CNIDRIVE, node, "add", pod, attachment);
      const address = result.ips?.[0]?.address;
      assert.match(address ?? "", /^10\.42\.0\.\d+\/24$/, JSON.stringify(result));
      const addrs = await listAddrs(systemRunner, pod.netns.ns, "eth0");
      assert.deepEqual(addrs.filter((a) => a.family === "inet").map((a) => a.cidr), [address]);
      await cniOk(CNIDRIVE, node, "del", pod, attachment);
      assert.equal(await podLink(pod, "eth0"), undefined);
    } finally {
      await tools.close();
    }
  },
);
