/**
 * The L2-only paths end to end: an air-gapped switch NI (zedrouter says UseDHCP=false) and a
 * KubeVirt VMI pod (`virt-launcher-*`, whose guest runs DHCP itself) get a veth with the
 * adapter's MAC and no address, no DHCP client, no lease. A DHCP client run in the VMI pod as
 * the guest would run it then gets the reservation from the NI's dnsmasq.
 */
import assert from "node:assert/strict";
import {
  acquireLease,
  addAddr,
  readDnsmasqLeases,
  releaseLease,
  systemRunner,
  writeUdhcpcHookScript,
} from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  dnsmasqOf,
  e2eTest,
  NI,
  podAddresses,
  podLink,
  trackedPod,
} from "./harness.ts";
import { dhcpClientsOf, findLeaks } from "../../scripts/sandbox/leaks.ts";
import { attach, checkAll, detach, eth0, netX } from "./runtime.ts";

e2eTest("e2e: an air-gapped switch NI stays L2-only beside a DHCP interface", {}, async (ctx) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.redis);
  const attached = await attach(CNIDRIVE, node, pod, [
    eth0(node),
    netX(node, "net1", NI.local.name, APPS.redis.local.mac),
    netX(node, "net2", NI.airgap.name, APPS.redis.airgap.mac),
  ]);

  const net2 = await podLink(pod, "net2");
  assert.equal(net2?.mac, APPS.redis.airgap.mac);
  assert.ok(net2?.adminUp);
  assert.deepEqual(await podAddresses(pod, "net2"), []);
  assert.deepEqual(await podAddresses(pod, "net1"), [`${APPS.redis.local.ip}/24`]);
  const result = attached.results.get("net2")!;
  assert.deepEqual(result.ips ?? [], []);
  assert.equal(result.interfaces?.find((i) => i.name === "net2")?.sandbox, pod.netns.path);

  const airgapState = await attachmentState(node, pod, "net2");
  assert.equal(airgapState?.useDHCP, false);
  assert.equal(airgapState?.dhcp, null);
  const localState = await attachmentState(node, pod, "net1");
  assert.ok(localState?.dhcp, "net1 has a DHCP client");
  // Exactly one udhcpc in the pod: net1's (found by netns in /proc, not from our state).
  const clients = await dhcpClientsOf(node, [pod]);
  assert.deepEqual(clients.map((c) => c.pid), [localState.dhcp.pid]);
  assert.ok(clients[0]!.cmdline.includes("net1"));

  const { attachments } = await node.inspect("Inspect.Attachments");
  const airgap = attachments.find((a) => a.podIfName === "net2");
  assert.equal(airgap?.bridge, NI.airgap.bridge);
  assert.equal(airgap?.usesDhcp, false);
  assert.equal(airgap?.l3, null);
  assert.deepEqual(airgap?.problems, []);

  await checkAll(CNIDRIVE, node, attached);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});

/** KubeVirt names a VMI's secondary interfaces `pod<hash of the network name>`, not netN. */
const VMI_LOCAL_IF = "pod16477688c0e";
const VMI_AIRGAP_IF = "podb1f51a511f1";

e2eTest("e2e: a VMI pod stays L2-only and its guest's DHCP gets the reservation", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "vmi", APPS.vm, { vmi: true });
  assert.match(pod.name, /^virt-launcher-ubuntu-vm-9f8e7-[a-z0-9]{5}$/);
  const attached = await attach(CNIDRIVE, node, pod, [
    eth0(node),
    netX(node, VMI_LOCAL_IF, NI.local.name, APPS.vm.local.mac),
    netX(node, VMI_AIRGAP_IF, NI.airgap.name, APPS.vm.airgap.mac),
  ]);

  for (
    const [ifname, mac] of [[VMI_LOCAL_IF, APPS.vm.local.mac], [VMI_AIRGAP_IF, APPS.vm.airgap.mac]]
  ) {
    assert.equal((await podLink(pod, ifname!))?.mac, mac);
    assert.deepEqual(await podAddresses(pod, ifname!), [], `${ifname} has no address`);
    const state = await attachmentState(node, pod, ifname!);
    assert.equal(state?.vmi, true);
    assert.equal(state?.dhcp, null);
    assert.deepEqual(attached.results.get(ifname!)?.ips ?? [], []);
  }
  assert.deepEqual(await dhcpClientsOf(node, [pod]), [], "eve-bridge ran no DHCP client");
  const leaseFile = (await dnsmasqOf(node, NI.local.name)).leaseFile;
  assert.deepEqual(await readDnsmasqLeases(leaseFile), []);
  const { attachments } = await node.inspect("Inspect.Attachments");
  assert.deepEqual(
    attachments.map((a) => [a.podIfName, a.bridge, a.usesDhcp, a.l3]).sort(),
    [[VMI_LOCAL_IF, NI.local.bridge, true, null], [VMI_AIRGAP_IF, NI.airgap.bridge, false, null]],
  );
  await checkAll(CNIDRIVE, node, attached);

  // The guest's DHCP client (run here in the launcher pod's netns, as the guest's traffic
  // would arrive): the local NI answers with the reservation, the air-gapped NI not at all.
  const scriptPath = `${node.dir}/guest-udhcpc.sh`;
  await writeUdhcpcHookScript(scriptPath);
  const lease = await acquireLease(systemRunner, {
    netnsPath: pod.netns.path,
    ifname: VMI_LOCAL_IF,
    scriptPath,
    timeoutSeconds: 2,
    retries: 3,
  });
  assert.equal(lease.address, `${APPS.vm.local.ip}/24`);
  assert.equal(lease.gateway, "10.78.1.1");
  assert.deepEqual(
    (await readDnsmasqLeases(leaseFile)).map((l) => `${l.mac} ${l.ip}`),
    [`${APPS.vm.local.mac} ${APPS.vm.local.ip}`],
  );
  await assert.rejects(
    acquireLease(systemRunner, {
      netnsPath: pod.netns.path,
      ifname: VMI_AIRGAP_IF,
      scriptPath,
      timeoutSeconds: 1,
      retries: 2,
    }),
    "no DHCP server on an air-gapped NI",
  );

  // The guest shuts down and releases its lease (from its address, as a guest would).
  await addAddr(systemRunner, pod.netns.ns, VMI_LOCAL_IF, lease.address);
  assert.ok(
    await releaseLease({
      netnsPath: pod.netns.path,
      ifname: VMI_LOCAL_IF,
      scriptPath,
      address: lease.address,
    }),
  );
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
