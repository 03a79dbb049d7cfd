/**
 * eve-bridge's pod-interface flow at its edges, with the BUILT plugin and the real
 * fake-zedrouter: L2-only pods (a VMI, an air-gapped switch NI), zedrouter unreachable on ADD
 * and on DEL, DEL after the pod netns went, after a zedrouter restart and after the app was
 * removed, and GC of stale attachments.
 */
import assert from "node:assert/strict";
import { getLink, isAlive, readPidFile, startDhcpClient, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { inspect, startZedrouter } from "./fake_zedrouter_harness.ts";
import {
  dhcpClientsOf,
  failed,
  inetAddrs,
  leasedMacs,
  ok,
  podConfig,
  requireBuilt,
  rpcProxy,
  runPod,
  stateFile,
  TOOLS,
  WEB_MAC,
  WEB_POD,
  withPodNode,
} from "./eve_bridge_pod_harness.ts";
import { eventuallyTrue } from "./poll.ts";

const VM = "22222222-bbbb-4bbb-8bbb-222222222222";

async function vmAdapters(socket: string) {
  const { apps } = await inspect(socket, "Inspect.Apps");
  const vm = apps.find((a) => a.uuid === VM);
  assert.ok(vm);
  return vm.adapters;
}

sandboxTest("eve-bridge pod: a VMI and an air-gapped switch NI stay L2-only", TOOLS, async (sb) => {
  await withPodNode(sb, async ({ node, zr, stateDir }) => {
    const [local, airgap] = await vmAdapters(zr.socket);
    // A VMI on a local NI: zedrouter says UseDHCP, but the guest runs DHCP itself.
    const vmiPod = await sb.netns("vmi");
    const vmiCall = {
      node,
      pod: vmiPod,
      containerId: "c-vmi",
      podName: "virt-launcher-vm-one-22222-abcde",
      podNamespace: "eve-kube-app",
      ifname: "pod1a2b3c",
    };
    const config = podConfig(sb.dir, zr, local!.mac);
    const vmi = ok(await runPod("ADD", vmiCall, config), "VMI ADD");
    assert.equal(vmi.ips, undefined, "no address for a VMI");
    const podEnd = await getLink(systemRunner, vmiPod.ns, "pod1a2b3c");
    assert.equal(podEnd?.mac, local!.mac);
    assert.deepEqual(await inetAddrs(vmiPod, "pod1a2b3c"), []);
    assert.deepEqual(await dhcpClientsOf(stateDir), [], "no udhcpc for a VMI");
    assert.ok(!(await leasedMacs(zr)).includes(local!.mac));
    const vmiState = await stateFile(config, "c-vmi", "pod1a2b3c");
    assert.equal(vmiState?.vmi, true);
    assert.equal(vmiState?.dhcp, null);
    ok(
      await runPod("CHECK", vmiCall, { ...config, cniVersion: "1.0.0", prevResult: vmi }),
      "VMI CHECK",
    );
    ok(await runPod("DEL", vmiCall, config), "VMI DEL");
    assert.equal(await getLink(systemRunner, vmiPod.ns, "pod1a2b3c"), undefined);

    // An app pod on an air-gapped switch NI: zedrouter says UseDHCP false.
    const gapPod = await sb.netns("gap");
    const gapCall = { node, pod: gapPod, containerId: "c-gap", podName: "vm-one-22222-x1y2z" };
    const gapConfig = podConfig(sb.dir, zr, airgap!.mac);
    const gap = ok(await runPod("ADD", gapCall, gapConfig), "air-gapped ADD");
    assert.equal(gap.ips, undefined);
    assert.equal((await getLink(systemRunner, gapPod.ns, "net1"))?.master ?? null, null);
    assert.deepEqual(await inetAddrs(gapPod), []);
    assert.deepEqual(await dhcpClientsOf(stateDir), []);
    assert.equal((await stateFile(gapConfig, "c-gap"))?.useDHCP, false);
    ok(await runPod("DEL", gapCall, gapConfig), "air-gapped DEL");
    assert.equal(await getLink(systemRunner, gapPod.ns, "net1"), undefined);
    assert.equal(await stateFile(gapConfig, "c-gap"), undefined);
  });
});

sandboxTest(
  "eve-bridge pod: zedrouter unreachable is code 11 and leaves nothing",
  TOOLS,
  async (sb) => {
    await requireBuilt();
    const node = await sb.netns("node");
    const pod = await sb.netns("pod1");
    const config = podConfig(sb.dir, { socket: `${sb.dir}/nobody/rpc.sock` }, WEB_MAC);
    const call = { node, pod, containerId: "c-web-1", podName: WEB_POD };
    const out = failed(await runPod("ADD", call, config), "ADD");
    assert.equal(out.code, 11);
    assert.match(out.msg, /zedrouter is not reachable on ".*\/nobody\/rpc\.sock"/);
    assert.deepEqual(await inetAddrs(pod).catch(() => []), []);
    assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
    assert.equal(await stateFile(config, "c-web-1"), undefined);
    assert.deepEqual(await dhcpClientsOf(String(config.stateDir)), []);
    // DEL of that never-attached interface succeeds although zedrouter is still away.
    ok(await runPod("DEL", call, config), "DEL");
  },
);

sandboxTest(
  "eve-bridge pod: DEL after the netns went, with zedrouter away then restarted, after the app went",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async (pn) => {
      const { node, configFile } = pn;
      let { zr } = pn;
      const config = podConfig(sb.dir, zr, WEB_MAC);
      // 1. The runtime deleted the netns before DEL: udhcpc still pins it, so the lease is
      //    released properly, then zedrouter removes the host veth.
      const pod1 = await sb.netns("pod1");
      const call1 = { node, pod: pod1, containerId: "c-1", podName: WEB_POD };
      ok(await runPod("ADD", call1, config), "ADD 1");
      const pid1 = ((await stateFile(config, "c-1"))?.dhcp as { pid: number }).pid;
      await systemRunner(["ip", "netns", "del", pod1.name]);
      ok(await runPod("DEL", call1, config), "DEL after netns deletion");
      assert.ok(!isAlive(pid1));
      assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC), "released although the netns went");
      assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
      assert.equal(await stateFile(config, "c-1"), undefined);
      ok(await runPod("DEL", call1, config), "DEL again");

      // 2. zedrouter away at DEL: the lease is released locally, DEL says "try again later"
      //    and keeps the state; after a restart the retried DEL disconnects.
      const pod2 = await sb.netns("pod2");
      const call2 = { node, pod: pod2, containerId: "c-2", podName: WEB_POD };
      ok(await runPod("ADD", call2, config), "ADD 2");
      const pid2 = ((await stateFile(config, "c-2"))?.dhcp as { pid: number }).pid;
      await zr.stop();
      const away = failed(await runPod("DEL", call2, config), "DEL with zedrouter away");
      assert.equal(away.code, 11);
      assert.ok(!isAlive(pid2), "udhcpc stopped even so");
      const kept = await stateFile(config, "c-2");
      assert.equal(kept?.dhcp, null, "the retry will not look for the client again");
      // withPodNode stops the restarted one.
      zr = pn.zr = await startZedrouter(sb, node, { config: configFile, stateDir: zr.stateDir });
      ok(await runPod("DEL", call2, config), "retried DEL");
      assert.equal(await getLink(systemRunner, pod2.ns, "net1"), undefined);
      assert.equal(await stateFile(config, "c-2"), undefined);

      // 3. The app was removed from zedrouter's config (SIGHUP): DEL still succeeds.
      const pod3 = await sb.netns("pod3");
      const call3 = { node, pod: pod3, containerId: "c-3", podName: WEB_POD };
      ok(await runPod("ADD", call3, config), "ADD 3");
      const pid3 = ((await stateFile(config, "c-3"))?.dhcp as { pid: number }).pid;
      const text = await Deno.readTextFile(configFile);
      const start = text.indexOf("  - name: web\n");
      const end = text.indexOf("  - name: vm_one\n");
      assert.ok(start > 0 && end > start);
      await Deno.writeTextFile(configFile, text.slice(0, start) + text.slice(end));
      zr.signal("SIGHUP");
      assert.ok(
        await eventuallyTrue(async () => {
          const { apps } = await inspect(zr.socket, "Inspect.Apps");
          return !apps.some((a) => a.name === "web");
        }),
        "fake-zedrouter reloaded its config",
      );
      ok(await runPod("DEL", call3, config), "DEL after the app went");
      assert.ok(!isAlive(pid3));
      assert.equal(await stateFile(config, "c-3"), undefined);
    });
  },
);

sandboxTest("eve-bridge pod: GC detaches what is not in the valid list", TOOLS, async (sb) => {
  await withPodNode(sb, async ({ node, zr, stateDir }) => {
    const [, airgap] = await vmAdapters(zr.socket);
    const web = await sb.netns("web");
    const webCall = { node, pod: web, containerId: "c-web", podName: WEB_POD };
    ok(await runPod("ADD", webCall, podConfig(sb.dir, zr, WEB_MAC)), "ADD web");
    const gap = await sb.netns("gap");
    const gapCall = { node, pod: gap, containerId: "c-gap", podName: "vm-one-22222-x1y2z" };
    ok(await runPod("ADD", gapCall, podConfig(sb.dir, zr, airgap!.mac)), "ADD gap");
    const webPid = ((await stateFile(podConfig(sb.dir, zr, WEB_MAC), "c-web"))?.dhcp as {
      pid: number;
    }).pid;
    // Leftovers of an ADD killed between starting udhcpc and recording it: a pid file and a
    // live udhcpc, no record.
    const dead = await sb.netns("dead");
    await sb.exec(dead, ["ip", "link", "add", "net1", "type", "veth", "peer", "name", "peer1"]);
    await sb.exec(dead, ["ip", "link", "set", "net1", "up"]);
    await Deno.mkdir(`${stateDir}/c-dead`, { recursive: true });
    const orphan = await startDhcpClient({
      netnsPath: dead.path,
      ifname: "net1",
      scriptPath: `${stateDir}/udhcpc-report.sh`,
      eventFile: `${stateDir}/c-dead/net1.events`,
      pidFile: `${stateDir}/c-dead/net1.pid`,
    });
    sb.track(orphan.pid);
    assert.ok(
      await eventuallyTrue(async () =>
        (await readPidFile(`${stateDir}/c-dead/net1.pid`)) === orphan.pid
      ),
    );
    const gcConfig = {
      ...podConfig(sb.dir, zr, undefined),
      cniVersion: "1.1.0",
      "cni.dev/valid-attachments": [{ containerID: "c-gap", ifname: "net1" }],
    };
    const gc = await runPod(
      "GC",
      { node, pod: { path: "" }, containerId: "", podName: "" },
      gcConfig,
    );
    assert.equal(gc.code, 0, gc.stdout);
    assert.ok(!isAlive(webPid));
    assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC));
    assert.equal(await getLink(systemRunner, web.ns, "net1"), undefined);
    assert.equal(await stateFile(gcConfig, "c-web"), undefined);
    assert.ok(!isAlive(orphan.pid), "the orphan udhcpc was stopped");
    assert.throws(() => Deno.statSync(`${stateDir}/c-dead`), Deno.errors.NotFound);
    assert.ok(await getLink(systemRunner, gap.ns, "net1"), "the valid attachment stays");
    assert.ok(await stateFile(gcConfig, "c-gap"));
  });
});

sandboxTest(
  "eve-bridge pod: no DHCP answer after L2 is code 106 and everything is undone",
  TOOLS,
  async (sb) => {
    // The switch NI's uplink runs no DHCP server.
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      const pod = await sb.netns("pod1");
      const config = podConfig(sb.dir, zr, "02:16:3e:77:00:03", {
        dhcp: { timeoutSeconds: 1, retries: 1 },
      });
      const call = { node, pod, containerId: "c-sw", podName: "switched-33333-0-abcde" };
      const out = failed(await runPod("ADD", call, config), "ADD");
      assert.equal(out.code, 106, JSON.stringify(out));
      assert.match(out.msg, /No DHCP lease on "net1" within 2 attempt\(s\) of 1 s/);
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined, "pod end removed");
      assert.equal(await getLink(systemRunner, node.ns, "nbu1x3"), undefined, "host end removed");
      assert.deepEqual(await dhcpClientsOf(stateDir), [], "no udhcpc left");
      assert.equal(await stateFile(config, "c-sw"), undefined, "no state left");
      const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
      assert.deepEqual(attachments, [], "zedrouter holds no attachment");
      const log = await Deno.readTextFile(String(config.logFile));
      assert.match(log, /Rolled back.*release DHCP lease/);
      assert.match(log, /Rolled back.*DisconnectPod/);
      // The runtime's DEL after the failed ADD succeeds.
      ok(await runPod("DEL", call, config), "DEL");
    });
  },
);

sandboxTest("eve-bridge pod: parallel ADDs and a doubled DEL", TOOLS, async (sb) => {
  await withPodNode(sb, async ({ node, zr, stateDir }) => {
    const [local, airgap] = await vmAdapters(zr.socket);
    const web = await sb.netns("web");
    const vm = await sb.netns("vm");
    const webCall = { node, pod: web, containerId: "c-web", podName: WEB_POD };
    const vmCall = { node, pod: vm, containerId: "c-vm", podName: "vm-one-22222-0-abcde" };
    const vmCall2 = { ...vmCall, ifname: "net2" };
    const webConfig = podConfig(sb.dir, zr, WEB_MAC);
    const [a, b, c] = await Promise.all([
      runPod("ADD", webCall, webConfig),
      runPod("ADD", vmCall, podConfig(sb.dir, zr, local!.mac)),
      runPod("ADD", vmCall2, podConfig(sb.dir, zr, airgap!.mac)),
    ]);
    ok(a, "ADD web");
    const vmResult = ok(b, "ADD vm");
    ok(c, "ADD vm net2");
    assert.deepEqual(await inetAddrs(web), ["10.77.1.50/24"]);
    const vmAddress = (vmResult.ips as { address: string }[])[0]!.address;
    assert.deepEqual(await inetAddrs(vm), [vmAddress]);
    assert.ok((await leasedMacs(zr)).includes(local!.mac));
    assert.equal((await dhcpClientsOf(stateDir)).length, 2);

    // Two DELs of the same attachment at once: both succeed, one does the work.
    const [d1, d2] = await Promise.all([
      runPod("DEL", webCall, webConfig),
      runPod("DEL", webCall, webConfig),
    ]);
    ok(d1, "DEL 1");
    ok(d2, "DEL 2");
    assert.equal(await getLink(systemRunner, web.ns, "net1"), undefined);
    assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC));
    assert.equal(await stateFile(webConfig, "c-web"), undefined);
    // The other pod's interfaces are untouched.
    assert.deepEqual(await inetAddrs(vm), [vmAddress]);
    assert.ok(await getLink(systemRunner, vm.ns, "net2"));
    ok(await runPod("DEL", vmCall2, webConfig), "DEL vm net2");
    ok(await runPod("DEL", vmCall, webConfig), "DEL vm");
    assert.deepEqual(await dhcpClientsOf(stateDir), []);
    assert.deepEqual([...Deno.readDirSync(stateDir)].filter((e) => e.isDirectory), []);
  });
});

sandboxTest(
  "eve-bridge pod: L3 refused after the lease: lease released, client stopped, L2 undone",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      const proxy = rpcProxy(`${sb.dir}/proxy.sock`, zr.socket, "RPCServer.ConnectPodAtL3");
      const pod = await sb.netns("pod1");
      const config = podConfig(sb.dir, { socket: `${sb.dir}/proxy.sock` }, WEB_MAC);
      const call = { node, pod, containerId: "c-web", podName: WEB_POD };
      try {
        const out = failed(await runPod("ADD", call, config), "ADD");
        assert.equal(out.code, 103);
        assert.equal(out.msg, "zedrouter refused ConnectPodAtL3: injected L3 failure");
        // One connection, ids from 0 as Go's client: L2, L3, then the rollback's DisconnectPod.
        assert.deepEqual(proxy.seen, [
          { conn: 0, method: "RPCServer.ConnectPodAtL2", id: 0 },
          { conn: 0, method: "RPCServer.ConnectPodAtL3", id: 1 },
          { conn: 0, method: "RPCServer.DisconnectPod", id: 2 },
        ]);
        // The lease was obtained, then released: dnsmasq forgot it although L3 never put the
        // address on the interface (the rollback put it there for the DHCPRELEASE).
        const log = await Deno.readTextFile(String(config.logFile));
        assert.match(log, /DHCP client .* stopped: .*"outcome":"released"/);
        assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC), "lease released");
        assert.deepEqual(await dhcpClientsOf(stateDir), []);
        assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
        assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
        assert.equal(await stateFile(config, "c-web"), undefined);
        const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
        assert.deepEqual(attachments, []);
      } finally {
        await proxy.close();
      }
    });
  },
);
