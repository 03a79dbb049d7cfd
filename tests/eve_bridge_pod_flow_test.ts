/**
 * eve-bridge's pod-interface flow end to end, with the BUILT plugin, the real fake-zedrouter
 * in a node namespace, real dnsmasq and udhcpc: ADD gets the reserved address, CHECK, DEL
 * (twice, after the netns went, after the app went), L2-only pods, zedrouter unreachable.
 */
import assert from "node:assert/strict";
import { getLink, isAlive, listRoutes, systemRunner } from "../netns/mod.ts";
import { findTool, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { goCall, inspect, podArgs } from "./fake_zedrouter_harness.ts";
import {
  dhcpClientsOf,
  EVE_BRIDGE,
  exec,
  failed,
  inetAddrs,
  leasedMacs,
  ok,
  podConfig,
  runPod,
  stateFile,
  TOOLS,
  WEB,
  WEB_MAC,
  WEB_POD,
  withPodNode,
} from "./eve_bridge_pod_harness.ts";

sandboxTest(
  "eve-bridge pod: ADD gets the reservation, CHECK, DEL releases everything",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      const pod = await sb.netns("pod1");
      const config = podConfig(sb.dir, zr, WEB_MAC);
      const call = { node, pod, containerId: "c-web-1", podName: WEB_POD };
      const result = ok(await runPod("ADD", call, config), "ADD");
      // The result: zedrouter's interfaces, sandbox on the pod end, ips pointing at it.
      const interfaces = result.interfaces as { name: string; mac?: string; sandbox?: string }[];
      assert.deepEqual(interfaces.map((i) => i.name), ["bn1", "nbu1x1", "net1"]);
      assert.equal(interfaces[2]!.sandbox, pod.path);
      assert.equal(interfaces[2]!.mac, WEB_MAC);
      assert.deepEqual(result.ips, [{
        interface: 2,
        address: "10.77.1.50/24",
        gateway: "10.77.1.1",
      }]);
      assert.deepEqual(result.routes, [{ dst: "0.0.0.0/0", gw: "10.77.1.1" }]);
      assert.deepEqual(result.dns, { nameservers: ["10.77.1.1"] });

      // The kernel, the server and zedrouter agree.
      assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);
      assert.ok((await leasedMacs(zr)).includes(WEB_MAC));
      const check = await goCall(
        zr.socket,
        "RPCServer.CheckPodConnection",
        podArgs(WEB_POD, pod, "net1", null),
      );
      assert.deepEqual(check, { ok: true, result: { appUUID: WEB, usesDHCP: true } });

      // State on the node, with a live udhcpc.
      const state = await stateFile(config, "c-web-1");
      assert.ok(state);
      assert.equal(state.phase, "ready");
      assert.equal(state.appUUID, WEB);
      const pid = (state.dhcp as { pid: number }).pid;
      assert.ok(isAlive(pid));
      assert.deepEqual(await dhcpClientsOf(stateDir), [pid]);

      // CHECK against the result ADD printed.
      ok(await runPod("CHECK", call, { ...config, prevResult: result }), "CHECK");
      // CHECK notices a missing address.
      await sb.exec(pod, ["ip", "addr", "del", "10.77.1.50/24", "dev", "net1"]);
      const broken = failed(
        await runPod("CHECK", call, { ...config, prevResult: result }),
        "CHECK",
      );
      // zedrouter's own check reads the kernel too, and answers first.
      assert.equal(broken.code, 103, JSON.stringify(broken));
      assert.match(broken.msg, /zedrouter refused CheckPodConnection: .*net1/);
      await sb.exec(pod, ["ip", "addr", "add", "10.77.1.50/24", "dev", "net1"]);

      ok(await runPod("DEL", call, { ...config, prevResult: result }), "DEL");
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
      assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
      assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC), "the lease was released");
      assert.ok(!isAlive(pid), "udhcpc stopped");
      assert.equal(await stateFile(config, "c-web-1"), undefined);
      // DEL again: still fine.
      ok(await runPod("DEL", call, config), "second DEL");
    });
  },
);

sandboxTest(
  "eve-bridge pod: zedrouter's refusal is code 103 with its words, a repeated ADD is 105, STATUS",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      const pod = await sb.netns("pod1");
      const call = { node, pod, containerId: "c-web-1", podName: WEB_POD };
      // A MAC no adapter of the app has: zedrouter refuses, nothing is left behind.
      const wrong = podConfig(sb.dir, zr, "02:16:3e:77:00:99");
      const refused = failed(await runPod("ADD", call, wrong), "ADD with a foreign MAC");
      assert.equal(refused.code, 103);
      assert.equal(
        refused.msg,
        `zedrouter refused ConnectPodAtL2: failed to find adapter with MAC 02:16:3e:77:00:99 for app ${WEB}`,
      );
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
      assert.equal(await stateFile(wrong, "c-web-1"), undefined);

      // The MAC from CNI_ARGS when the config has none.
      const config = podConfig(sb.dir, zr, undefined);
      const viaArgs = { ...call, extraArgs: `;MAC=${WEB_MAC}` };
      ok(await runPod("ADD", viaArgs, config), "ADD with CNI_ARGS MAC");
      assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);
      const pid = ((await stateFile(config, "c-web-1"))?.dhcp as { pid: number }).pid;
      // Again for the same attachment: refused, and the first one is untouched.
      const again = failed(await runPod("ADD", viaArgs, config), "repeated ADD");
      assert.equal(again.code, 105);
      assert.match(again.msg, /"net1" of container "c-web-1" is already attached/);
      assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);
      assert.ok(isAlive(pid));
      assert.deepEqual(await dhcpClientsOf(stateDir), [pid]);

      // STATUS: fine here; code 50 when udhcpc is not on the PATH eve-bridge gets.
      const status = { ...config, cniVersion: "1.1.0" };
      ok(await runPod("STATUS", call, status), "STATUS");
      const bin = `${sb.dir}/bin`;
      await Deno.mkdir(bin);
      const noUdhcpc = await exec(
        [findTool("ip")!, "netns", "exec", node.name, EVE_BRIDGE],
        JSON.stringify(status),
        { PATH: bin, CNI_COMMAND: "STATUS", CNI_PATH: "/usr/lib/cni" },
      );
      const missing = failed(noUdhcpc, "STATUS without udhcpc");
      assert.equal(missing.code, 50);
      assert.equal(missing.msg, '"udhcpc" is not installed');

      // CHECK notices a DHCP client that died (nobody would renew the lease).
      const result = {
        cniVersion: "1.0.0",
        interfaces: [{ name: "net1", mac: WEB_MAC, sandbox: pod.path }],
        ips: [{ address: "10.77.1.50/24", gateway: "10.77.1.1", interface: 0 }],
      };
      ok(await runPod("CHECK", viaArgs, { ...config, prevResult: result }), "CHECK");
      Deno.kill(pid, "SIGKILL");
      const dead = failed(
        await runPod("CHECK", viaArgs, { ...config, prevResult: result }),
        "CHECK",
      );
      assert.equal(dead.code, 107);
      assert.equal(dead.msg, 'The DHCP client of "net1" is not running');

      ok(await runPod("DEL", viaArgs, config), "DEL");
      assert.ok(!isAlive(pid));
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
    });
  },
);

sandboxTest(
  "eve-bridge pod: a local NI without uplink gives an address but no default route",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr }) => {
      const pod = await sb.netns("iso");
      const { apps } = await inspect(zr.socket, "Inspect.Apps");
      const mac = apps.find((a) => a.name === "iso")?.adapters[0]?.mac;
      assert.ok(mac);
      const config = podConfig(sb.dir, zr, mac);
      const call = { node, pod, containerId: "c-iso", podName: "iso-44444-0-abcde" };
      const result = ok(await runPod("ADD", call, config), "ADD");
      const ips = result.ips as { address: string; gateway?: string; interface: number }[];
      assert.equal(ips.length, 1);
      assert.match(ips[0]!.address, /^10\.77\.4\.\d+\/24$/);
      assert.equal(ips[0]!.gateway, undefined, "no router offered");
      assert.equal(result.routes, undefined, "no routes in the result");
      assert.deepEqual(await inetAddrs(pod), [ips[0]!.address]);
      const routes = await listRoutes(systemRunner, pod.ns, { family: "inet" });
      assert.ok(!routes.some((r) => r.dst === "default"), JSON.stringify(routes));
      ok(await runPod("CHECK", call, { ...config, prevResult: result }), "CHECK");
      ok(await runPod("DEL", call, config), "DEL");
      assert.ok(!(await leasedMacs(zr, "ni-isolated")).includes(mac));
    });
  },
);

sandboxTest(
  "eve-bridge pod: without a MAC, the NAD's networkInstance picks the adapter",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr }) => {
      const pod = await sb.netns("pod1");
      const { networkInstances } = await inspect(zr.socket, "Inspect.NetworkInstances");
      const local = networkInstances.find((ni) => ni.name === "ni-local");
      assert.ok(local);
      const config = podConfig(sb.dir, zr, undefined, { networkInstance: local.uuid });
      const call = { node, pod, containerId: "c-web-ni", podName: WEB_POD };
      const result = ok(await runPod("ADD", call, config), "ADD by network instance");
      const interfaces = result.interfaces as { name: string; mac?: string }[];
      assert.equal(interfaces[2]?.mac, WEB_MAC, "the adapter's MAC, as zedrouter chose it");
      assert.equal((await getLink(systemRunner, pod.ns, "net1"))?.mac, WEB_MAC);
      assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);
      assert.equal((await stateFile(config, "c-web-ni"))?.mac, WEB_MAC);
      ok(await runPod("DEL", call, config), "DEL");
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
      assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC));

      // A MAC that is not the NI's adapter's: zedrouter would give the pod end the adapter's
      // MAC, not the one the pod asked for. Refused with both named, and rolled back.
      const asked = podConfig(sb.dir, zr, "0a:58:0a:f4:00:09", { networkInstance: local.uuid });
      const conflict = failed(await runPod("ADD", call, asked), "ADD with another MAC");
      assert.equal(conflict.code, 7, JSON.stringify(conflict));
      assert.match(
        conflict.msg,
        /runtimeConfig\.mac 0a:58:0a:f4:00:09 is not the MAC .* \(02:16:3e:77:00:01 on network instance/,
      );
      assert.match(conflict.details, /leave it out/);
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined, "rolled back");
      assert.equal(await stateFile(asked, "c-web-ni"), undefined);
      assert.ok(!(await leasedMacs(zr)).includes(WEB_MAC));
    });
  },
);
