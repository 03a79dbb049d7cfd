/**
 * End to end on a switch network instance: the NI bridge has a port (a veth to an "upstream"
 * namespace), and the pod's address comes from an EXTERNAL DHCP server there (dnsmasq in the
 * upstream namespace), not from zedrouter. Driven through libcni with Multus' CNI_ARGS.
 */
import assert from "node:assert/strict";
import { startUpstreamDnsmasq } from "../../scripts/sandbox/upstream_dnsmasq.ts";
import { addAddr, listBridgePorts, readDnsmasqLeases, systemRunner } from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  e2eTest,
  NI,
  ping,
  podAddresses,
  podLink,
  podRoutes,
  SWITCH_NET,
  SWITCH_PORT,
  trackedPod,
  UPSTREAM_ROLE,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { cni } from "../../scripts/sandbox/pod.ts";
import { attach, checkAll, detach, eth0, netX } from "./runtime.ts";

e2eTest(
  "e2e: a pod on a switch NI gets its address from the DHCP server behind the port",
  {},
  async (
    ctx,
  ) => {
    const { node } = ctx;
    const upstream = node.upstream(UPSTREAM_ROLE);
    await addAddr(systemRunner, upstream.ns, "up0", `${SWITCH_NET.server}/${SWITCH_NET.prefix}`);
    const dnsmasq = await startUpstreamDnsmasq({
      netns: upstream.ns,
      interface: "up0",
      dir: node.dir,
      name: "upstream-dnsmasq",
      network: "10.79.3.0",
      hosts: [APPS.switched.switch],
      options: [{ option: "option:router", values: [SWITCH_NET.server] }],
    });
    const { leaseFile } = dnsmasq;
    try {
      const pod = await trackedPod(ctx, "pod1", APPS.switched);
      const attached = await attach(CNIDRIVE, node, pod, [
        eth0(node),
        netX(node, "net1", NI.switch.name, APPS.switched.switch.mac),
      ]);

      assert.deepEqual(await podAddresses(pod, "net1"), [`${APPS.switched.switch.ip}/24`]);
      assert.equal(
        attached.results.get("net1")?.ips?.[0]?.address,
        `${APPS.switched.switch.ip}/24`,
      );
      const routes = await podRoutes(pod);
      assert.ok(routes.includes(`default via ${SWITCH_NET.server} dev net1`), routes.join("\n"));
      // The external server, not zedrouter, holds the lease.
      const leases = await readDnsmasqLeases(leaseFile);
      assert.deepEqual(leases.map((l) => `${l.mac} ${l.ip}`), [
        `${APPS.switched.switch.mac} ${APPS.switched.switch.ip}`,
      ]);
      const ports = (await listBridgePorts(systemRunner, node.ns.ns, NI.switch.bridge))
        .map((p) => p.name).sort();
      assert.equal(ports.length, 2);
      assert.ok(
        ports.includes(SWITCH_PORT) && ports.some((p) => /^nbu1x\d+$/.test(p)),
        ports.join(),
      );
      const state = await attachmentState(node, pod, "net1");
      assert.equal(state?.useDHCP, true);
      assert.equal(state?.lease?.address, `${APPS.switched.switch.ip}/24`);
      // L2 through the switch port to the upstream network.
      const reach = await ping(pod, SWITCH_NET.server);
      assert.ok(reach.ok, reach.output);

      await checkAll(CNIDRIVE, node, attached);
      await detach(CNIDRIVE, node, attached);
      assert.deepEqual(await findLeaks(node, ctx.pods, { extraLeaseFiles: [leaseFile] }), []);
      await detach(CNIDRIVE, node, attached);
      assert.deepEqual(await findLeaks(node, ctx.pods, { extraLeaseFiles: [leaseFile] }), []);
    } finally {
      await dnsmasq.stop();
    }
  },
);

e2eTest(
  "e2e: no DHCP server behind the switch port: ADD fails clearly and leaves nothing",
  {},
  async (
    ctx,
  ) => {
    const { node } = ctx;
    // The NAD with a short DHCP budget (the default waits 3 x 10 s, as EVE's did).
    const conf = JSON.parse(await Deno.readTextFile(node.nad(NI.switch.name)));
    conf.plugins[0].dhcp = { timeoutSeconds: 1, retries: 2 };
    const path = `${node.dir}/nad-switch-short-dhcp.conflist`;
    await Deno.writeTextFile(path, JSON.stringify(conf));
    const pod = await trackedPod(ctx, "pod1", APPS.switched);
    const net1 = { ifname: "net1", conflist: path, mac: APPS.switched.switch.mac };

    const add = await cni(CNIDRIVE, node, "add", pod, net1);
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /net1/);
    assert.match(add.stderr, /DHCP|lease/i);
    // The unwinding: no pod interface, no veth on the bridge, no client, no state, no record.
    assert.equal(await podLink(pod, "net1"), undefined);
    const leaks = (await findLeaks(node, ctx.pods)).filter((l) => !/\/net1\.lock" left: $/.test(l));
    assert.deepEqual(leaks, []);
    const del = await cni(CNIDRIVE, node, "del", pod, net1);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
