/**
 * The lease lives as long as the pod: a renewal that changes the address moves the pod. The
 * reservation of the app is edited in fake-zedrouter's config (SIGHUP reloads dnsmasq), then
 * udhcpc is made to renew now (SIGUSR1): dnsmasq NAKs the old address, udhcpc binds the new
 * one, its hook calls the BUILT eve-bridge back (`dhcp-event`), which tells zedrouter
 * (ConnectPodAtL3) and removes the old address from the pod.
 */
import assert from "node:assert/strict";
import { listRoutes, readDnsmasqLeases, renewDhcpClient, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { inspect, type Zedrouter } from "./fake_zedrouter_harness.ts";
import {
  inetAddrs,
  ok,
  podConfig,
  rpcProxy,
  runPod,
  stateFile,
  TOOLS,
  WEB_MAC,
  WEB_POD,
  withPodNode,
} from "./eve_bridge_pod_harness.ts";
import { eventuallyTrue } from "./poll.ts";

/**
 * Moves app web's reservation from 10.77.1.50 to .60 in fake-zedrouter's config, waits until
 * the reload (SIGHUP) shows it, then has udhcpc `pid` renew now.
 */
async function moveWebReservationAndRenew(
  zr: Zedrouter,
  configFile: string,
  pid: number,
): Promise<void> {
  const text = await Deno.readTextFile(configFile);
  assert.ok(text.includes("ip: 10.77.1.50"));
  await Deno.writeTextFile(configFile, text.replace("ip: 10.77.1.50", "ip: 10.77.1.60"));
  zr.signal("SIGHUP");
  assert.ok(
    await eventuallyTrue(async () => {
      const { apps } = await inspect(zr.socket, "Inspect.Apps");
      return apps.find((a) => a.name === "web")?.adapters[0]?.ip === "10.77.1.60";
    }),
    "fake-zedrouter reloaded the reservation",
  );
  // dnsmasq re-reads its hosts on its own reload; give it a moment, then renew.
  await new Promise((resolve) => setTimeout(resolve, 500));
  renewDhcpClient(pid);
}

sandboxTest("eve-bridge pod: a renewal with a new reservation moves the pod", TOOLS, async (sb) => {
  await withPodNode(sb, async ({ node, zr, stateDir, configFile }) => {
    const config = podConfig(sb.dir, zr, WEB_MAC);
    const pod = await sb.netns("pod1");
    const call = { node, pod, containerId: "c-web", podName: WEB_POD };
    const added = ok(await runPod("ADD", call, config), "ADD");
    assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);
    const state = await stateFile(config, "c-web");
    const pid = (state?.dhcp as { pid: number }).pid;

    // A plain renewal: same address, nothing moves, the state's lease is refreshed.
    const before = (state?.lease as { obtainedAt: string }).obtainedAt;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the hook's clock has seconds
    renewDhcpClient(pid);
    assert.ok(
      await eventuallyTrue(async () =>
        ((await stateFile(config, "c-web"))?.lease as { obtainedAt: string }).obtainedAt !== before
      ),
      "the renewal reached eve-bridge",
    );
    assert.deepEqual(await inetAddrs(pod), ["10.77.1.50/24"]);

    // The reservation changes; SIGHUP reloads it; udhcpc renews.
    await moveWebReservationAndRenew(zr, configFile, pid);

    assert.ok(
      await eventuallyTrue(async () => {
        const addrs = await inetAddrs(pod);
        return addrs.length === 1 && addrs[0] === "10.77.1.60/24";
      }, 30000),
      `the pod follows its lease: ${JSON.stringify(await inetAddrs(pod))}\n${await Deno
        .readTextFile(String(config.logFile))}\n${await Deno.readTextFile(
          `${stateDir}/c-web/net1.events`,
        )}\n${await zr.log()}`,
    );
    const routes = await listRoutes(systemRunner, pod.ns, { family: "inet" });
    assert.ok(
      routes.some((r) => r.dst === "default" && r.gateway === "10.77.1.1" && r.dev === "net1"),
      `the default route is back: ${JSON.stringify(routes)}`,
    );
    // The hook's callback writes the state after ConnectPodAtL3 has moved the address, so the
    // record may lag the kernel by a moment.
    await eventuallyTrue(async () =>
      ((await stateFile(config, "c-web"))?.lease as { address: string }).address ===
        "10.77.1.60/24"
    );
    const moved = await stateFile(config, "c-web");
    assert.equal((moved?.lease as { address: string }).address, "10.77.1.60/24");
    assert.equal((moved?.dhcp as { pid: number }).pid, pid, "the same client keeps the lease");
    const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
    assert.deepEqual(attachments[0]?.l3?.ips, [{ address: "10.77.1.60/24", gateway: "10.77.1.1" }]);
    const leases = await readDnsmasqLeases(`${zr.stateDir}/dnsmasq-ni-local.leases`);
    assert.deepEqual(leases.filter((l) => l.mac === WEB_MAC).map((l) => l.ip), ["10.77.1.60"]);
    const log = await Deno.readTextFile(String(config.logFile));
    assert.match(log, /Lease moved.*"command":"DHCP-EVENT"/);

    // CHECK against the ADD result passes (the move was ours) and logs the stale result;
    // DEL releases the new lease.
    ok(await runPod("CHECK", call, { ...config, prevResult: added }), "CHECK after the move");
    assert.match(
      await Deno.readTextFile(String(config.logFile)),
      /recorded result is stale","logger":"eve-bridge","properties":\{"command":"CHECK".*"from":"10\.77\.1\.50\/24","to":"10\.77\.1\.60\/24"/,
    );
    ok(await runPod("DEL", call, config), "DEL");
    const after = await readDnsmasqLeases(`${zr.stateDir}/dnsmasq-ni-local.leases`);
    assert.ok(!after.some((l) => l.mac === WEB_MAC), JSON.stringify(after));
  });
});

sandboxTest(
  "eve-bridge pod: a move while zedrouter is away is retried until it answers",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, configFile }) => {
      const proxyPath = `${sb.dir}/proxy.sock`;
      let proxy = rpcProxy(proxyPath, zr.socket);
      const config = podConfig(sb.dir, { socket: proxyPath }, WEB_MAC);
      const pod = await sb.netns("pod1");
      const call = { node, pod, containerId: "c-web", podName: WEB_POD };
      try {
        ok(await runPod("ADD", call, config), "ADD");
        const pid = ((await stateFile(config, "c-web"))?.dhcp as { pid: number }).pid;
        // zedrouter's socket goes away (eve-bridge reaches it only through the proxy).
        await proxy.close();
        await Deno.remove(proxyPath).catch(() => {});
        await moveWebReservationAndRenew(zr, configFile, pid);
        const logFile = String(config.logFile);
        assert.ok(
          await eventuallyTrue(async () =>
            /zedrouter unavailable, retrying/.test(await Deno.readTextFile(logFile))
          ),
          "the hook's eve-bridge retries",
        );
        proxy = rpcProxy(proxyPath, zr.socket);
        assert.ok(
          await eventuallyTrue(async () => {
            const addrs = await inetAddrs(pod);
            return addrs.length === 1 && addrs[0] === "10.77.1.60/24";
          }, 30000),
          `the pod follows once zedrouter is back: ${JSON.stringify(await inetAddrs(pod))}`,
        );
        const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
        assert.deepEqual(attachments[0]?.l3?.ips, [{
          address: "10.77.1.60/24",
          gateway: "10.77.1.1",
        }]);
        ok(await runPod("DEL", call, config), "DEL");
      } finally {
        await proxy.close();
      }
    });
  },
);
