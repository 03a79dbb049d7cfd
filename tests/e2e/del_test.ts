/**
 * DEL the way runtimes really send it: after the pod's network namespace is already gone
 * (kubelet tearing down a crashed sandbox), repeated, for an ADD that failed, and for a
 * container that was never added. Each must succeed and leave nothing of the pod behind.
 */
import assert from "node:assert/strict";
import { deleteNetns, isAlive, readDnsmasqLeases, systemRunner } from "../../netns/mod.ts";
import { APPS, attachmentState, CNIDRIVE, e2eTest, NI, podLink, trackedPod } from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { cni } from "../../scripts/sandbox/pod.ts";
import { attach, detach, eth0, netX } from "./runtime.ts";

e2eTest("e2e: DEL after the pod netns is deleted releases everything on the node", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, [
    eth0(node),
    netX(node, "net1", NI.local.name, APPS.nginx.local.mac),
    netX(node, "net2", NI.local2.name, APPS.nginx.local2.mac),
  ]);
  const pids = [
    (await attachmentState(node, pod, "net1"))?.dhcp?.pid,
    (await attachmentState(node, pod, "net2"))?.dhcp?.pid,
  ];
  assert.ok(pids.every((pid) => pid !== undefined && isAlive(pid)), "two DHCP clients run");
  assert.equal((await podLink(pod, "net2"))?.mtu, 1400, "net2 has its NI's MTU");

  await deleteNetns(systemRunner, pod.netns.name);
  await detach(CNIDRIVE, node, attached);
  for (const pid of pids) assert.ok(!isAlive(pid!), `udhcpc ${pid} was stopped by DEL`);

  // Deleting the netns only unmounts it: the pod's udhcpc keeps it (and the interface with its
  // address) alive, so DEL's release still leaves from the leased address and dnsmasq frees it.
  const leaseFiles = (await node.inspect("Inspect.Config")).dnsmasq.map((d) => d.leaseFile);
  const held = (await Promise.all(leaseFiles.map(readDnsmasqLeases))).flat();
  assert.deepEqual(held, [], "DEL released both leases");
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), [], "a repeated DEL finds nothing to do");
});

e2eTest("e2e: a failed ADD leaves nothing, and DEL of it (or of nothing) succeeds", {}, async (
  ctx,
) => {
  const { node } = ctx;
  // A pod of an app zedrouter does not know: it refuses at L2.
  const pod = await trackedPod(ctx, "pod1", {
    name: "ghost",
    uuid: "99999999-9999-4999-8999-999999999999",
  });
  const wrong = netX(node, "net1", NI.local.name, "02:16:3e:99:99:99");
  const add = await cni(CNIDRIVE, node, "add", pod, wrong);
  assert.notEqual(add.code, 0);
  assert.match(add.stderr, /failed to find app network status for pod ghost-99999-/);
  const afterAdd = await findLeaks(node, ctx.pods);
  // containerd follows a failed ADD with DEL; kubelet may DEL a sandbox it never set up.
  for (let i = 0; i < 2; i++) {
    const del = await cni(CNIDRIVE, node, "del", pod, wrong);
    assert.equal(del.code, 0, del.stderr);
    const delEth0 = await cni(CNIDRIVE, node, "del", pod, eth0(node));
    assert.equal(delEth0.code, 0, delEth0.stderr);
  }
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  // Only the attachment's empty flock file may outlive a failed ADD: unlinking a lock file
  // others may be waiting on would split the lock; the runtime's DEL removes it (checked above).
  assert.deepEqual(
    afterAdd.filter((l) => !/\/net1\.lock" left: $/.test(l)),
    [],
    "the failed ADD itself left nothing",
  );
});
