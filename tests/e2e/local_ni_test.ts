/**
 * End to end on a local network instance, driven as kubelet + Multus drive it (libcni via
 * cnidrive): two EVE app pods, each with eth0 (eve-bridge -> bridge + host-local) and net1
 * (eve-bridge -> zedrouter -> DHCP from the NI's dnsmasq -> L3), get their reserved
 * addresses, reach each other, pass CHECK, and leave nothing behind after DEL (twice).
 */
import assert from "node:assert/strict";
import { listBridgePorts, readDnsmasqLeases, systemRunner } from "../../netns/mod.ts";
import {
  APPS,
  CNIDRIVE,
  dnsmasqOf,
  e2eTest,
  NI,
  onLocalNi,
  ping,
  podAddresses,
  podLink,
  podRoutes,
  trackedPod,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { POD_NETWORK } from "../../scripts/sandbox/node.ts";
import { attach, checkAll, detach } from "./runtime.ts";

e2eTest("e2e: two pods on a local NI get their reserved addresses and ping each other", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const nginx = await trackedPod(ctx, "pod1", APPS.nginx);
  const redis = await trackedPod(ctx, "pod2", APPS.redis);

  const a = await attach(CNIDRIVE, node, nginx, onLocalNi(node, APPS.nginx));
  const b = await attach(CNIDRIVE, node, redis, onLocalNi(node, APPS.redis));

  // The CNI result as Multus reads it: the pod interface with `sandbox`, the IP pointing at it.
  for (const [attached, app] of [[a, APPS.nginx], [b, APPS.redis]] as const) {
    const result = attached.results.get("net1")!;
    const ip = result.ips?.[0];
    assert.equal(ip?.address, `${app.local.ip}/24`);
    const iface = result.interfaces?.[ip?.interface ?? -1];
    assert.equal(iface?.name, "net1");
    assert.equal(iface?.sandbox, attached.pod.netns.path);
    assert.equal(iface?.mac, app.local.mac);
  }

  // The kernel: the adapter's MAC and reserved address on net1, the k8s address on eth0,
  // the default route via the NI (EVE apps), the service CIDR via eth0.
  for (const [pod, app] of [[nginx, APPS.nginx], [redis, APPS.redis]] as const) {
    const net1 = await podLink(pod, "net1");
    assert.equal(net1?.mac, app.local.mac);
    assert.ok(net1?.adminUp, "net1 is up");
    assert.deepEqual(await podAddresses(pod, "net1"), [`${app.local.ip}/24`]);
    const [eth0Address] = await podAddresses(pod, "eth0");
    assert.match(eth0Address ?? "", /^10\.42\.0\.\d+\/24$/);
    const routes = await podRoutes(pod);
    assert.ok(routes.includes("default via 10.78.1.1 dev net1"), routes.join("\n"));
    assert.ok(
      routes.includes(`${POD_NETWORK.serviceCIDR} via ${POD_NETWORK.gateway} dev eth0`),
      routes.join("\n"),
    );
    assert.ok(!routes.some((r) => r.startsWith("default") && r.endsWith("dev eth0")));
  }
  const ports = await listBridgePorts(systemRunner, node.ns.ns, NI.local.bridge);
  assert.equal(ports.length, 2, `two host veths on ${NI.local.bridge}`);
  assert.ok(ports.every((p) => /^nbu1x\d+$/.test(p.name) && p.kind === "veth"));

  // dnsmasq handed out exactly the reservations.
  const { leaseFile } = await dnsmasqOf(node, NI.local.name);
  const leases = (await readDnsmasqLeases(leaseFile)).map((l) => `${l.mac} ${l.ip}`).sort();
  assert.deepEqual(leases, [
    `${APPS.nginx.local.mac} ${APPS.nginx.local.ip}`,
    `${APPS.redis.local.mac} ${APPS.redis.local.ip}`,
  ]);
  // zedrouter's view over its socket: both attached, L3 recorded, nothing wrong.
  const { attachments } = await node.inspect("Inspect.Attachments");
  assert.deepEqual(
    attachments.map((x) => [x.podName, x.podIfName, x.l3?.ips[0]?.address, x.problems]).sort(),
    [
      [nginx.name, "net1", `${APPS.nginx.local.ip}/24`, []],
      [redis.name, "net1", `${APPS.redis.local.ip}/24`, []],
    ].sort(),
  );

  const there = await ping(nginx, APPS.redis.local.ip);
  assert.ok(there.ok, there.output);
  const back = await ping(redis, APPS.nginx.local.ip);
  assert.ok(back.ok, back.output);

  await checkAll(CNIDRIVE, node, a);
  await checkAll(CNIDRIVE, node, b);

  await detach(CNIDRIVE, node, a);
  await detach(CNIDRIVE, node, b);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  assert.equal(await podLink(nginx, "net1"), undefined);
  assert.equal(await podLink(redis, "eth0"), undefined);

  // A runtime may repeat DEL (kubelet retries, Multus after a restart): still success.
  await detach(CNIDRIVE, node, a);
  await detach(CNIDRIVE, node, b);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
