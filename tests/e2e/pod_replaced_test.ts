/**
 * An app's pod replaced (a restart, a rolling update): the new pod of the same app is attached
 * while the old one still is, then the old pod's DEL arrives late. zedrouter now binds the app
 * to the new pod, so the old DEL must not take the new pod's interface or address, and still
 * release what the old pod held on the node (its DHCP client and state).
 */
import assert from "node:assert/strict";
import { isAlive } from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  e2eTest,
  NI,
  onLocalNi,
  ping,
  podAddresses,
  trackedPod,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { attach, detach, netX } from "./runtime.ts";

e2eTest(
  "e2e: an app's old pod DELeted after its replacement attached leaves the new one alone",
  {},
  async (
    ctx,
  ) => {
    const { node } = ctx;
    const peer = await trackedPod(ctx, "peer", APPS.redis);
    const oldPod = await trackedPod(ctx, "old", APPS.nginx);
    const newPod = await trackedPod(ctx, "new", APPS.nginx);
    assert.notEqual(oldPod.name, newPod.name);
    const p = await attach(CNIDRIVE, node, peer, [
      netX(node, "net1", NI.local.name, APPS.redis.local.mac),
    ]);
    const o = await attach(CNIDRIVE, node, oldPod, onLocalNi(node, APPS.nginx));
    const oldClient = (await attachmentState(node, oldPod, "net1"))?.dhcp?.pid;

    const n = await attach(CNIDRIVE, node, newPod, onLocalNi(node, APPS.nginx));
    assert.deepEqual(await podAddresses(newPod, "net1"), [`${APPS.nginx.local.ip}/24`]);
    const { apps } = await node.inspect("Inspect.Apps");
    assert.equal(apps.find((a) => a.uuid === APPS.nginx.uuid)?.boundPod?.podName, newPod.name);

    // The old pod's DEL arrives late.
    await detach(CNIDRIVE, node, o);
    assert.ok(!isAlive(oldClient!), "the old pod's DHCP client is stopped");
    assert.equal(await attachmentState(node, oldPod, "net1"), undefined);
    assert.deepEqual(await podAddresses(newPod, "net1"), [`${APPS.nginx.local.ip}/24`]);
    const newClient = (await attachmentState(node, newPod, "net1"))?.dhcp?.pid;
    assert.ok(newClient !== undefined && isAlive(newClient), "the new pod's DHCP client runs");
    const attachments = (await node.inspect("Inspect.Attachments")).attachments
      .filter((a) => a.appUuid === APPS.nginx.uuid);
    assert.deepEqual(attachments.map((a) => [a.podName, a.problems]), [[newPod.name, []]]);
    const reach = await ping(peer, APPS.nginx.local.ip);
    assert.ok(reach.ok, reach.output);
    await detach(CNIDRIVE, node, n);
    await detach(CNIDRIVE, node, p);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
