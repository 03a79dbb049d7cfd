/**
 * The in-place upgrade from EVE's Go eve-bridge: a pod attached by the Go plugin (eth0 by
 * bridge + host-local with the Go plugin's config transform, saved by flannel; net1 by
 * ConnectPodAtL2 from Go's RPC client, a lease from the real CNI dhcp daemon against
 * fake-zedrouter's dnsmasq, ConnectPodAtL3) is taken apart by OUR eve-bridge through libcni, in
 * EVE's layout (flannel's cbr0, the one NAD). eve-bridge has no state of its own for it; the
 * kernel, host-local's files, dnsmasq's lease file and zedrouter must all end up clean.
 */
import assert from "node:assert/strict";
import {
  APPS,
  CNIDRIVE,
  dnsmasqOf,
  e2eTest,
  NI,
  podAddresses,
  podLink,
  trackedPod,
} from "./harness.ts";
import {
  eth0On,
  eveNadConflist,
  flannelNetwork,
  hostLocalAddresses,
  savedDelegateConfig,
} from "./eve_layout_harness.ts";
import { goEth0Add, goNetXAdd, goNetXAddL2, startCniDhcpDaemon } from "./go_plugin_harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { cniOk } from "../../scripts/sandbox/pod.ts";
import { isAlive, readDnsmasqLeases } from "../../netns/mod.ts";
import { eventuallyTrue } from "../poll.ts";

e2eTest(
  "e2e upgrade: our eve-bridge tears down what EVE's Go plugin attached (no state of ours)",
  {},
  async (ctx) => {
    const { node } = ctx;
    const dhcpDaemon = await startCniDhcpDaemon(node);
    const cluster = await flannelNetwork(node, { cniVersion: "0.3.1" });
    const nad = await eveNadConflist(node, { dhcpDaemonSocket: dhcpDaemon.socket });
    const pod = await trackedPod(ctx, "pod", APPS.nginx);
    const mac = APPS.nginx.local.mac;

    // Before the upgrade: the Go plugin's attachments.
    await goEth0Add(node, cluster, pod);
    const netX = await goNetXAdd(node, pod, nad.plugin, "net1", mac, dhcpDaemon.socket);
    assert.equal(netX.address, `${APPS.nginx.local.ip}/24`, "dnsmasq's reservation");
    assert.deepEqual(await podAddresses(pod, "net1"), [netX.address]);
    assert.equal((await hostLocalAddresses(cluster)).length, 1);
    const { leaseFile } = await dnsmasqOf(node, NI.local.name);
    const leased = async () =>
      (await readDnsmasqLeases(leaseFile)).some((l) => l.ip === APPS.nginx.local.ip);
    assert.ok(await leased(), "dnsmasq holds the Go plugin's lease");
    assert.equal((await node.inspect("Inspect.Attachments")).attachments.length, 1);

    // After it: Multus DELs net1 (the NAD) and then eth0 (cbr0), through our eve-bridge.
    await cniOk(CNIDRIVE, node, "del", pod, { ifname: "net1", conflist: nad.path, mac });
    assert.equal(await podLink(pod, "net1"), undefined, "zedrouter removed the veth");
    assert.deepEqual((await node.inspect("Inspect.Attachments")).attachments, []);
    assert.ok(
      await eventuallyTrue(async () => !(await leased())),
      "the dhcp daemon's DHCPRELEASE reached dnsmasq: the lease is gone from its file",
    );
    const log = await Deno.readTextFile(node.logFile);
    assert.match(log, /Released the Go plugin's lease with \\"dhcp\\" DEL .*before DisconnectPod/);
    assert.ok(isAlive(dhcpDaemon.daemon.pid), "the dhcp daemon itself keeps running");

    await cniOk(CNIDRIVE, node, "del", pod, eth0On(cluster));
    assert.equal(await podLink(pod, "eth0"), undefined);
    assert.deepEqual(await hostLocalAddresses(cluster), [], "host-local released eth0's address");
    assert.equal(await savedDelegateConfig(cluster, pod), undefined);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);

    // A repeated DEL (kubelet retries) finds nothing and succeeds.
    await cniOk(CNIDRIVE, node, "del", pod, { ifname: "net1", conflist: nad.path, mac });
  },
);

e2eTest(
  "e2e upgrade: a VMI the Go plugin attached (L2 only) is detached without asking dhcp",
  {},
  async (ctx) => {
    const { node } = ctx;
    const dhcpDaemon = await startCniDhcpDaemon(node);
    const nad = await eveNadConflist(node, { dhcpDaemonSocket: dhcpDaemon.socket });
    const vmi = await trackedPod(ctx, "vmi", APPS.vm, { vmi: true });
    const mac = APPS.vm.local.mac;
    await goNetXAddL2(node, vmi, "net1", mac);
    assert.ok(await podLink(vmi, "net1"));
    await cniOk(CNIDRIVE, node, "del", vmi, { ifname: "net1", conflist: nad.path, mac });
    assert.equal(await podLink(vmi, "net1"), undefined);
    const log = await Deno.readTextFile(node.logFile);
    assert.doesNotMatch(log, /Go plugin's lease|"plugin":"dhcp"/, "a VMI's guest held its lease");
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
