/**
 * Network instance kinds against the real fake-zedrouter: a VMI on a local NI and an
 * air-gapped switch NI (UseDHCP false), a switch NI with a port (L2 reaches the uplink
 * namespace), a local NI without uplink (DHCP offers no default route; an off-subnet
 * gateway, IPv4 or IPv6, gets its on-link host route), and one pod with
 * two interfaces on one NI chosen by NI alone (each gets its own adapter).
 */
import assert from "node:assert/strict";
import { getLink, listBridgePorts, listRoutes, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  checkPod,
  connectL2,
  disconnectPod,
  goCall,
  goCallOk,
  inspect,
  leaseFromPod,
  podArgs,
  withZedrouter,
} from "./fake_zedrouter_harness.ts";

const TOOLS = ["dnsmasq", "udhcpc", "go"];
const VM = "22222222-bbbb-4bbb-8bbb-222222222222";

sandboxTest("fake-zedrouter: VMI pod on a local and an air-gapped switch NI", TOOLS, async (sb) => {
  await withZedrouter(sb, async ({ node, zr }) => {
    const pod = await sb.netns("vmi");
    const { apps } = await inspect(zr.socket, "Inspect.Apps");
    const vm = apps.find((a) => a.uuid === VM)!;
    assert.equal(vm.kubeName, "vm-one-22222");
    const [local, airgap] = vm.adapters;
    const podName = "virt-launcher-vm-one-22222-abcde";
    const bridgeMacBefore = (await getLink(systemRunner, node.ns, "bn1"))?.mac;

    // Older client: adapter by MAC.
    const l2a = await connectL2(zr.socket, podName, pod, "pod1a2b3c", local!.mac);
    assert.equal(l2a.appUUID, VM);
    assert.equal(l2a.useDHCP, true);
    assert.equal(l2a.interfaces![1]!.name, "nbu1x1");
    // Newer client: adapter by NetworkInstance (the MAC it sends is not the adapter's).
    const l2b = await connectL2(
      zr.socket,
      podName,
      pod,
      "pod9z8y7x",
      "0a:58:0a:f4:00:09",
      airgap!.networkInstanceUuid,
    );
    assert.equal(l2b.useDHCP, false, "air-gapped switch NI: no DHCP");
    assert.deepEqual(l2b.interfaces!.map((i) => i.name), ["bn3", "nbu2x1", "pod9z8y7x"]);
    assert.equal(l2b.interfaces![2]!.mac, airgap!.mac, "the adapter's MAC, not the sent one");
    assert.ok(airgap!.mac.startsWith("02:16:3e:"));

    // The bridge keeps its own MAC while ports come (pods' gateway ARP entries stay right).
    assert.equal((await getLink(systemRunner, node.ns, "bn1"))?.mac, bridgeMacBefore);
    assert.equal(l2a.interfaces![0]!.mac, bridgeMacBefore);
    const podEnd = await getLink(systemRunner, pod.ns, "pod9z8y7x");
    assert.equal(podEnd?.mac, airgap!.mac);
    assert.equal(podEnd?.mtu, 1500);
    assert.deepEqual(
      (await listBridgePorts(systemRunner, node.ns, "bn3")).map((l) => l.name),
      ["nbu2x1"],
    );
    const check = await checkPod(zr.socket, podName, pod, "pod9z8y7x");
    assert.deepEqual(check, { appUUID: VM, usesDHCP: false });
    const del = await disconnectPod(zr.socket, podName, pod, "pod9z8y7x");
    assert.deepEqual(del, { appUUID: VM, usedDHCP: false });
    assert.equal(await getLink(systemRunner, node.ns, "nbu2x1"), undefined);
    assert.ok(await getLink(systemRunner, node.ns, "nbu1x1"), "the other adapter stays");
  });
});

sandboxTest(
  "fake-zedrouter: switch NI with a port bridges the pod to the uplink",
  TOOLS,
  async (sb) => {
    await withZedrouter(sb, async ({ node, uplink, zr }) => {
      const pod = await sb.netns("pod");
      assert.equal((await getLink(systemRunner, node.ns, "swport"))?.master, "bn2");
      const { networkInstances } = await inspect(zr.socket, "Inspect.NetworkInstances");
      const sw = networkInstances.find((n) => n.name === "ni-switch")!;
      assert.equal(sw.port, "swport");
      assert.equal(sw.usesDhcp, true);
      assert.ok(sw.bridgePorts.includes("swport"));

      const podName = "switched-33333-abcde";
      const l2 = await connectL2(zr.socket, podName, pod, "net1", "02:16:3e:77:00:03");
      assert.equal(l2.useDHCP, true, "a switch NI with a port: DHCP comes from outside");
      assert.equal(l2.interfaces![0]!.name, "bn2");
      // Static L3 on both sides (the "outside" DHCP is not part of this test): L2 must carry it.
      await sb.exec(uplink, ["ip", "addr", "add", "192.168.77.1/24", "dev", "up0"]);
      await goCallOk(zr.socket, "RPCServer.ConnectPodAtL3", {
        ...podArgs(podName, pod, "net1", "02:16:3e:77:00:03"),
        ips: [{ address: "192.168.77.10/24", gateway: "192.168.77.1" }],
        routes: [],
        dns: { nameservers: null, domain: "", search: null, options: null },
      });
      const ping = await sb.exec(pod, ["ping", "-c", "1", "-W", "3", "192.168.77.1"]);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    });
  },
);

sandboxTest(
  "fake-zedrouter: a local NI without uplink offers no default route",
  TOOLS,
  async (sb) => {
    await withZedrouter(sb, async ({ zr }) => {
      const pod = await sb.netns("pod");
      const { apps } = await inspect(zr.socket, "Inspect.Apps");
      const iso = apps.find((a) => a.name === "iso")!.adapters[0]!;
      const podName = "iso-44444-abcde";
      await connectL2(zr.socket, podName, pod, "eth1", iso.mac);
      const lease = await leaseFromPod(sb, pod, "eth1");
      assert.equal(lease.address, `${iso.ip}/24`);
      assert.equal(lease.gateway, null, "empty router option");
      assert.deepEqual(lease.routes, []);
      // A gateway outside the address's subnet gets a link-scope host route.
      await goCallOk(zr.socket, "RPCServer.ConnectPodAtL3", {
        ...podArgs(podName, pod, "eth1", iso.mac),
        ips: [{ address: lease.address, gateway: "10.99.0.1" }],
        routes: [{ dst: "10.98.0.0/16", gw: "10.99.0.1" }],
        dns: { nameservers: null, domain: "", search: null, options: null },
      });
      const routes = await listRoutes(systemRunner, pod.ns, { family: "inet" });
      assert.ok(!routes.some((r) => r.dst === "default"), JSON.stringify(routes));
      assert.ok(
        routes.some((r) => r.dst === "10.99.0.1/32" && r.scope === "link" && r.dev === "eth1"),
        JSON.stringify(routes),
      );
      assert.ok(
        routes.some((r) => r.dst === "10.98.0.0/16" && r.gateway === "10.99.0.1"),
        JSON.stringify(routes),
      );

      // The same for IPv6: an off-subnet gateway gets its on-link /128 first, so the route
      // via it can be added at all (the kernel refuses a next hop it cannot reach). IPv6
      // routes carry no scope in the kernel: on-link shows as no gateway.
      await goCallOk(zr.socket, "RPCServer.ConnectPodAtL3", {
        ...podArgs(podName, pod, "eth1", iso.mac),
        ips: [{ address: "fd00:77:4::5/64", gateway: "fd00:77:9::1" }],
        routes: [{ dst: "fd00:98::/32", gw: "fd00:77:9::1" }],
        dns: { nameservers: null, domain: "", search: null, options: null },
      });
      const routes6 = await listRoutes(systemRunner, pod.ns, { family: "inet6" });
      assert.ok(
        routes6.some((r) => r.dst === "fd00:77:9::1/128" && r.gateway === null && r.dev === "eth1"),
        JSON.stringify(routes6),
      );
      assert.ok(
        routes6.some((r) => r.dst === "fd00:98::/32" && r.gateway === "fd00:77:9::1"),
        JSON.stringify(routes6),
      );
    });
  },
);

sandboxTest(
  "fake-zedrouter: two interfaces of a pod on one NI, no MACs, get one adapter each",
  TOOLS,
  async (sb) => {
    const config = `${sb.dir}/two-on-one.yaml`;
    await Deno.writeTextFile(
      config,
      `networkInstances:
  - {name: ni-two, type: local, bridge: bn1, subnet: 10.77.2.0/24}
apps:
  - name: multi
    uuid: 66666666-ffff-4fff-8fff-666666666666
    adapters: [{networkInstance: ni-two}, {networkInstance: ni-two}]
`,
    );
    await withZedrouter(sb, async ({ node, zr }) => {
      const pod = await sb.netns("pod");
      const podName = "multi-66666-abcde";
      const { apps } = await inspect(zr.socket, "Inspect.Apps");
      const multi = apps.find((a) => a.name === "multi")!;
      const [first, second] = multi.adapters;
      const ni = first!.networkInstanceUuid;
      // Multus without a MAC in the annotation: eve-bridge sends the NI only.
      const connect = (ifName: string) =>
        goCall(zr.socket, "RPCServer.ConnectPodAtL2", podArgs(podName, pod, ifName, null, ni));
      const readBack = async () => ({
        ports: (await listBridgePorts(systemRunner, node.ns, "bn1")).map((l) => l.name).sort(),
        net1: (await getLink(systemRunner, pod.ns, "net1"))?.mac,
        net2: (await getLink(systemRunner, pod.ns, "net2"))?.mac,
      });
      const both = { ports: ["nbu1x1", "nbu2x1"], net1: first!.mac, net2: second!.mac };

      assert.ok((await connect("net1")).ok);
      const l2 = await connect("net2");
      assert.ok(l2.ok, l2.ok ? "" : l2.error);
      assert.deepEqual(l2.result.interfaces!.map((i) => i.name), ["bn1", "nbu2x1", "net2"]);
      assert.deepEqual(await readBack(), both, "net2 did not take net1's veth");

      // A repeated call for net1 keeps its adapter; net2 is untouched.
      assert.ok((await connect("net1")).ok);
      assert.deepEqual(await readBack(), both);

      // No adapter left on the NI for a third interface: an error, and nothing replaced.
      const third = await connect("net3");
      assert.deepEqual(third, {
        ok: false,
        error: `failed to find adapter with pod interface net3 for app ${multi.uuid}: every ` +
          `adapter of the app on network instance ${ni} is attached to another pod interface ` +
          "(net1, net2)",
      });
      assert.equal(await getLink(systemRunner, pod.ns, "net3"), undefined);
      assert.deepEqual(await readBack(), both);

      // Each interface is served as its own adapter: DHCP hands net2 adapter 1's address.
      const lease = await leaseFromPod(sb, pod, "net2");
      assert.equal(lease.address, `${second!.ip}/24`);
    }, { config });
  },
);
