/**
 * An app with two adapters on the same local network instance (EVE allows it): the pod gets
 * net1 and net2 on one bridge, each with its own MAC, reservation and DHCP client, and
 * DEL of one leaves the other working (and reachable).
 */
import assert from "node:assert/strict";
import { isAlive } from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  e2eConfig,
  e2eTest,
  NI,
  ping,
  podAddresses,
  trackedPod,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { cniOk } from "../../scripts/sandbox/pod.ts";
import type { ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { attach, detach, netX } from "./runtime.ts";

const DUAL = {
  name: "dual_homed",
  uuid: "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4",
  first: { mac: "02:16:3e:78:01:21", ip: "10.78.1.21" },
  second: { mac: "02:16:3e:78:01:22", ip: "10.78.1.22" },
} as const;

function config(): ZedrouterConfig {
  const c = e2eConfig();
  c.apps.push({
    name: DUAL.name,
    uuid: DUAL.uuid,
    adapters: [
      { networkInstance: NI.local.name, ...DUAL.first },
      { networkInstance: NI.local.name, ...DUAL.second },
    ],
  });
  return c;
}

e2eTest("e2e: two adapters of one app on the same local NI", { config: config() }, async (ctx) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", DUAL);
  const peer = await trackedPod(ctx, "peer", APPS.redis);
  const p = await attach(CNIDRIVE, node, peer, [
    netX(node, "net1", NI.local.name, APPS.redis.local.mac),
  ]);
  const a = await attach(CNIDRIVE, node, pod, [
    netX(node, "net1", NI.local.name, DUAL.first.mac),
    netX(node, "net2", NI.local.name, DUAL.second.mac),
  ]);
  assert.deepEqual(await podAddresses(pod, "net1"), [`${DUAL.first.ip}/24`]);
  assert.deepEqual(await podAddresses(pod, "net2"), [`${DUAL.second.ip}/24`]);
  // No ping here: two interfaces of one pod on one L2 segment answer ARP for each other's
  // address (Linux's arp_ignore=0, "ARP flux"), and from the peer an echo to either address
  // is answered or not depending on which reply won; EVE's zedrouter sets only accept_dad and
  // arp_notify on pod interfaces, and so does fake-zedrouter.
  // DEL of net2 alone (as when a NAD is removed from the pod): net1 keeps working.
  const net1Client = (await attachmentState(node, pod, "net1"))?.dhcp?.pid;
  await cniOk(CNIDRIVE, node, "del", pod, a.attachments[1]!);
  assert.deepEqual(await podAddresses(pod, "net1"), [`${DUAL.first.ip}/24`]);
  assert.ok(isAlive(net1Client!));
  const r = await ping(peer, DUAL.first.ip);
  assert.ok(r.ok, r.output);
  await detach(CNIDRIVE, node, a);
  await detach(CNIDRIVE, node, p);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
