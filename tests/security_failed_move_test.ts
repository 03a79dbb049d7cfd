/**
 * Issue 17, item 5: a renewal that moves the pod and fails at L3 is rolled back (the new
 * address off, the old one back on, the state unchanged), and a later renewal compares the
 * state with the kernel: an address missing from the interface is put back. Read back from
 * the pod's kernel and the state file.
 */
import assert from "node:assert/strict";
import { delAddr, renewDhcpClient, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { inspect, runCli } from "./fake_zedrouter_harness.ts";
import {
  inetAddrs,
  ok,
  podConfig,
  runPod,
  stateFile,
  TOOLS,
  WEB_MAC,
  WEB_POD,
  withPodNode,
} from "./eve_bridge_pod_harness.ts";
import { eventuallyTrue } from "./poll.ts";

sandboxTest(
  "security: a failed address move rolls back; a renewal repairs a missing address",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, configFile }) => {
      const config = podConfig(sb.dir, zr, WEB_MAC);
      const pod = await sb.netns("pod1");
      const call = { node, pod, containerId: "c-web", podName: WEB_POD };
      ok(await runPod("ADD", call, config), "ADD");
      assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);
      const pid = ((await stateFile(config, "c-web"))?.dhcp as { pid: number }).pid;

      // zedrouter refuses the next L3 call; the reservation moves to .60 and udhcpc renews.
      const fault = await runCli([
        "fault",
        "add",
        "--socket",
        zr.socket,
        "--method",
        "ConnectPodAtL3",
        "--fail",
        "refused by the test",
        "--once",
      ]);
      assert.equal(fault.code, 0, fault.stderr);
      const text = await Deno.readTextFile(configFile);
      await Deno.writeTextFile(configFile, text.replace("ip: 10.77.1.50", "ip: 10.77.1.60"));
      zr.signal("SIGHUP");
      assert.ok(
        await eventuallyTrue(async () => {
          const { apps } = await inspect(zr.socket, "Inspect.Apps");
          return apps.find((a) => a.name === "web")?.adapters[0]?.ip === "10.77.1.60";
        }),
      );
      renewDhcpClient(pid);
      const log = () => Deno.readTextFile(String(config.logFile));
      assert.ok(
        await eventuallyTrue(async () => (await log()).includes("failed: back at")),
        "the failed move was rolled back",
      );
      assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"], "the pod keeps its old address");
      assert.equal(
        ((await stateFile(config, "c-web"))?.lease as { address: string }).address,
        "10.77.1.50/24",
      );

      // The address vanishes behind eve-bridge's back; the next renewal (now .60, the fault
      // spent) moves the pod for real, and a renewal of the same lease with the address gone
      // puts it back.
      renewDhcpClient(pid);
      assert.ok(
        await eventuallyTrue(async () => {
          const addrs = await inetAddrs(pod);
          return addrs.length === 1 && addrs[0] === "10.77.1.60/24";
        }, 30_000),
        `moved: ${JSON.stringify(await inetAddrs(pod))}`,
      );
      assert.ok(
        await eventuallyTrue(async () =>
          ((await stateFile(config, "c-web"))?.lease as { address: string }).address ===
            "10.77.1.60/24"
        ),
      );
      await delAddr(systemRunner, pod.ns, "net1", "10.77.1.60/24");
      assert.deepEqual(await inetAddrs(pod), []);
      renewDhcpClient(pid);
      assert.ok(
        await eventuallyTrue(
          async () => JSON.stringify(await inetAddrs(pod)) === JSON.stringify(["10.77.1.60/24"]),
          30_000,
        ),
        "the renewal put the missing address back",
      );
      ok(await runPod("DEL", call, config), "DEL");
    });
  },
);
