/**
 * The whole EVE flow against the real fake-zedrouter, called by the real Go net/rpc/jsonrpc
 * client: ConnectPodAtL2 -> DHCP from the pod netns (udhcpc against the NI's dnsmasq) ->
 * ConnectPodAtL3 -> CheckPodConnection -> DisconnectPod, each step read back from the
 * kernel, dnsmasq's lease file and the Inspect service.
 */
import assert from "node:assert/strict";
import {
  getLink,
  getSysctl,
  interfaceSysctlKey,
  listLinks,
  listRoutes,
  readDnsmasqLeases,
  systemRunner,
} from "../netns/mod.ts";
import { ZERO_UUID } from "../core/mod.ts";
import { type Sandbox, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { inetAddrs } from "./addresses.ts";
import {
  bundledProgram,
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

const WEB = "11111111-aaaa-4aaa-8aaa-111111111111";
const WEB_MAC = "02:16:3e:77:00:01";
const TOOLS = ["dnsmasq", "udhcpc", "go"];

sandboxTest(
  "fake-zedrouter: L2, DHCP, L3, check, disconnect with a Go client",
  TOOLS,
  async (sb) => {
    await withZedrouter(sb, async ({ node, zr }) => {
      const pod = await sb.netns("pod1");
      const podName = "web-11111-0-x7k2p";
      const l2 = await connectL2(zr.socket, podName, pod, "net1", WEB_MAC);

      // The reply: bridge (with its MAC), host veth (MAC null), pod interface echoed back.
      const bridge = await getLink(systemRunner, node.ns, "bn1");
      assert.ok(bridge);
      assert.equal(l2.appUUID, WEB);
      assert.equal(l2.useDHCP, true);
      assert.deepEqual(l2.interfaces, [
        { name: "bn1", mac: bridge.mac, netNsPath: "" },
        { name: "nbu1x1", mac: null, netNsPath: "" },
        { name: "net1", mac: WEB_MAC, netNsPath: pod.path },
      ]);

      // The kernel: host end on the bridge, pod end with the adapter MAC and the NI MTU, both up.
      const host = await getLink(systemRunner, node.ns, "nbu1x1");
      assert.ok(host);
      assert.equal(host.kind, "veth");
      assert.equal(host.master, "bn1");
      assert.equal(host.mtu, 1400);
      assert.ok(host.adminUp);
      const podIf = await getLink(systemRunner, pod.ns, "net1");
      assert.ok(podIf);
      assert.equal(podIf.mac, WEB_MAC);
      assert.equal(podIf.mtu, 1400);
      assert.ok(podIf.adminUp);
      assert.deepEqual(
        await inetAddrs(pod, "net1"),
        [],
        "L2 only: no IPv4 address yet",
      );
      assert.equal(
        await getSysctl(systemRunner, pod.ns, interfaceSysctlKey("ipv4", "net1", "arp_notify")),
        "1",
      );
      assert.equal(
        await getSysctl(systemRunner, pod.ns, interfaceSysctlKey("ipv6", "net1", "accept_dad")),
        "0",
      );
      // The pod end was up before accept_dad was set (from birth): its link-local address
      // must still come without DAD, i.e. never tentative.
      const linkLocal = (await sb.exec(pod, ["ip", "-6", "-o", "addr", "show", "dev", "net1"]))
        .stdout;
      assert.match(linkLocal, /inet6 fe80::/);
      assert.doesNotMatch(linkLocal, /tentative/);

      // DHCP from inside the pod: dnsmasq hands out the reservation with a default route.
      const lease = await leaseFromPod(sb, pod, "net1");
      assert.equal(lease.address, "10.77.1.50/24");
      assert.equal(lease.gateway, "10.77.1.1");
      assert.deepEqual(lease.routes, [{ dst: "0.0.0.0/0", via: "10.77.1.1" }]);
      assert.deepEqual(lease.dns, ["10.77.1.1"]);
      const leaseFile = `${zr.stateDir}/dnsmasq-ni-local.leases`;
      const leases = await readDnsmasqLeases(leaseFile);
      assert.ok(
        leases.some((l) =>
          l.mac === WEB_MAC && l.ip === "10.77.1.50" && l.hostname === "web-11111"
        ),
        `lease file: ${JSON.stringify(leases)}`,
      );

      const l3 = await goCallOk(zr.socket, "RPCServer.ConnectPodAtL3", {
        ...podArgs(podName, pod, "net1", WEB_MAC),
        ips: [{ address: lease.address, gateway: lease.gateway }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.77.1.1" }],
        dns: { nameservers: lease.dns, domain: "", search: null, options: null },
      });
      assert.equal(l3.appUUID, WEB);
      assert.deepEqual(await inetAddrs(pod, "net1"), ["10.77.1.50/24"]);
      const routes = await listRoutes(systemRunner, pod.ns, { family: "inet" });
      assert.ok(
        routes.some((r) => r.dst === "default" && r.gateway === "10.77.1.1" && r.dev === "net1"),
        JSON.stringify(routes),
      );
      // Traffic really flows pod -> bridge.
      const ping = await sb.exec(pod, ["ping", "-c", "1", "-W", "2", "10.77.1.1"]);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);

      // A retried L3 (EEXIST everywhere) is fine.
      await goCallOk(zr.socket, "RPCServer.ConnectPodAtL3", {
        ...podArgs(podName, pod, "net1", WEB_MAC),
        ips: [{ address: lease.address, gateway: lease.gateway }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.77.1.1" }],
        dns: { nameservers: lease.dns, domain: "", search: null, options: null },
      });

      const check = await checkPod(zr.socket, podName, pod, "net1");
      assert.deepEqual(check, { appUUID: WEB, usesDHCP: true });

      // Inspect sees the same: attachment with kernel facts, the lease, the app binding.
      const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
      assert.equal(attachments.length, 1);
      const a = attachments[0]!;
      assert.equal(a.hostIfName, "nbu1x1");
      assert.equal(a.kernel.hostVeth.master, "bn1");
      assert.equal(a.kernel.podEnd.mac, WEB_MAC);
      assert.deepEqual(a.kernel.podEnd.addresses, ["10.77.1.50/24"]);
      assert.deepEqual(a.problems, []);
      assert.deepEqual(a.l3?.ips, [{ address: "10.77.1.50/24", gateway: "10.77.1.1" }]);
      const { networkInstances: leaseNis } = await inspect(zr.socket, "Inspect.Leases");
      assert.ok(leaseNis.find((n) => n.name === "ni-local")?.leases.some((l) => l.mac === WEB_MAC));
      const { apps } = await inspect(zr.socket, "Inspect.Apps");
      const web = apps.find((x) => x.uuid === WEB)!;
      assert.deepEqual(web.boundPod, { podName, podNetnsPath: pod.path });
      assert.equal(web.adapters[0]!.attached, true);

      // CheckPodConnection reads the kernel, not only its records.
      await sb.exec(pod, ["ip", "link", "set", "net1", "down"]);
      const broken = await goCall(
        zr.socket,
        "RPCServer.CheckPodConnection",
        podArgs(podName, pod, "net1", null),
      );
      assert.equal(broken.ok, false);
      assert.match(
        !broken.ok ? broken.error : "",
        /not fully configured: pod interface "net1" is down/,
      );
      await sb.exec(pod, ["ip", "link", "set", "net1", "up"]);
      // A host veth MTU the NI did not give (ni-local's is 1400) is drift too.
      await sb.exec(node, ["ip", "link", "set", "nbu1x1", "mtu", "1300"]);
      const wrongMtu = await goCall(
        zr.socket,
        "RPCServer.CheckPodConnection",
        podArgs(podName, pod, "net1", null),
      );
      assert.match(
        !wrongMtu.ok ? wrongMtu.error : "",
        /host veth "nbu1x1" has MTU 1300, expected 1400/,
      );
      await sb.exec(node, ["ip", "link", "set", "nbu1x1", "mtu", "1400"]);

      const del = await disconnectPod(zr.socket, podName, pod, "net1");
      assert.deepEqual(del, { appUUID: WEB, usedDHCP: true });
      assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
      // Idempotent: a repeated DEL is success (unknown adapter: zero UUID, as EVE).
      const again = await disconnectPod(zr.socket, podName, pod, "net1");
      assert.deepEqual(again, { appUUID: ZERO_UUID, usedDHCP: false });
      const gone = await goCall(
        zr.socket,
        "RPCServer.CheckPodConnection",
        podArgs(podName, pod, "net1", null),
      );
      assert.deepEqual(gone, {
        ok: false,
        error: `failed to find adapter with pod interface net1 for app ${WEB}`,
      });
      assert.deepEqual(
        (await listLinks(systemRunner, node.ns)).filter((l) => l.name.startsWith("nbu")),
        [],
      );
    });
  },
);

/**
 * What `deno task build` ships: the bundle under the launcher's permissions
 * (scripts/programs.ts). Guards against a permission the program needs but the launcher
 * lacks (Deno 2 refuses /proc/<pid> reads without --allow-all, which once made the built
 * fake-zedrouter wait forever for dnsmasq).
 */
sandboxTest("fake-zedrouter: the bundle serves under its shipped permissions", TOOLS, bundleTest);

async function bundleTest(sb: Sandbox): Promise<void> {
  const program = await bundledProgram(sb.dir);
  const stopped = await withZedrouter(sb, async ({ node, zr }) => {
    const pod = await sb.netns("pod1");
    const podName = "web-11111-abcde";
    const l2 = await connectL2(zr.socket, podName, pod, "net1", WEB_MAC);
    assert.equal(l2.appUUID, WEB);
    assert.equal((await getLink(systemRunner, pod.ns, "net1"))?.mac, WEB_MAC);
    const { dnsmasq } = await inspect(zr.socket, "Inspect.Config");
    assert.ok(dnsmasq.every((d) => d.running), JSON.stringify(dnsmasq));
    await disconnectPod(zr.socket, podName, pod, "net1");
    assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
  }, { program });
  // SIGTERM: it stopped its dnsmasqs and removed its socket.
  await assert.rejects(Deno.stat(stopped.socket));
  assert.match(await stopped.log(), /Stopping/);
}
