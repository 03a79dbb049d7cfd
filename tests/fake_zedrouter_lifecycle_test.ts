/**
 * fake-zedrouter over time: a restart between ConnectPodAtL2 and DisconnectPod loses
 * nothing; an old pod's late DisconnectPod does not remove the new pod's interface; SIGHUP
 * applies a changed config (new NI and app, new DHCP reservation); a dnsmasq that dies is
 * restarted.
 */
import assert from "node:assert/strict";
import { getLink, isAlive, listLinks, readPidFile, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  checkPod,
  connectL2,
  disconnectPod,
  FLOW_CONFIG,
  inspect,
  nodeWithUplink,
  startZedrouter,
  withZedrouter,
} from "./fake_zedrouter_harness.ts";
import { eventually } from "./poll.ts";

const TOOLS = ["dnsmasq", "go"];
const WEB = "11111111-aaaa-4aaa-8aaa-111111111111";
const WEB_MAC = "02:16:3e:77:00:01";
/** How long a reload or a dnsmasq restart may take. */
const WAIT_MS = 15_000;

sandboxTest(
  "fake-zedrouter: a restart between L2 and Disconnect loses nothing",
  TOOLS,
  async (sb) => {
    const { node } = await nodeWithUplink(sb);
    const pod = await sb.netns("pod");
    const podName = "web-11111-abcde";
    const first = await startZedrouter(sb, node);
    try {
      await connectL2(first.socket, podName, pod, "net1", WEB_MAC);
    } finally {
      await first.stop();
    }
    // Stopped: the socket is gone, the veth and the bridge stay.
    await assert.rejects(Deno.stat(first.socket));
    assert.equal((await getLink(systemRunner, node.ns, "nbu1x1"))?.master, "bn1");

    const second = await startZedrouter(sb, node, { stateDir: first.stateDir });
    try {
      const { attachments } = await inspect(second.socket, "Inspect.Attachments");
      assert.deepEqual(attachments.map((a) => [a.podName, a.hostIfName, a.problems]), [
        [podName, "nbu1x1", []],
      ]);
      const check = await checkPod(second.socket, podName, pod, "net1");
      assert.deepEqual(check, { appUUID: WEB, usesDHCP: true });
      const del = await disconnectPod(second.socket, podName, pod, "net1");
      assert.deepEqual(del, { appUUID: WEB, usedDHCP: true });
      assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined);
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
    } finally {
      await second.stop();
    }
  },
);

sandboxTest(
  "fake-zedrouter: on start, vanished veths are dropped and orphans deleted",
  TOOLS,
  async (sb) => {
    const { node } = await nodeWithUplink(sb);
    const pod = await sb.netns("pod");
    const first = await startZedrouter(sb, node);
    try {
      await connectL2(first.socket, "web-11111-abcde", pod, "net1", WEB_MAC);
    } finally {
      await first.stop();
    }
    // While it is down: the pod goes away (its veth with it) and a stray nbu veth appears.
    await sb.exec(pod, ["ip", "link", "del", "net1"]);
    await sb.exec(node, ["ip", "link", "add", "nbu9x9", "type", "veth", "peer", "name", "stray0"]);
    const second = await startZedrouter(sb, node, { stateDir: first.stateDir });
    try {
      const { attachments } = await inspect(second.socket, "Inspect.Attachments");
      assert.deepEqual(attachments, []);
      const names = (await listLinks(systemRunner, node.ns)).map((l) => l.name);
      assert.ok(!names.includes("nbu9x9") && !names.includes("stray0"), names.join());
      assert.match(await second.log(), /0 attachment\(s\) kept, 1 dropped .* 1 orphan/);
    } finally {
      await second.stop();
    }
  },
);

sandboxTest("fake-zedrouter: a stale pod's late Disconnect is ignored", TOOLS, async (sb) => {
  await withZedrouter(sb, async ({ node, zr }) => {
    const oldPod = await sb.netns("pod-old");
    const newPod = await sb.netns("pod-new");
    const oldName = "web-11111-aaaaa";
    const newName = "web-11111-bbbbb";
    await connectL2(zr.socket, oldName, oldPod, "net1", WEB_MAC);
    // The replacement pod comes up before the old one's DEL: its veth replaces the old one.
    await connectL2(zr.socket, newName, newPod, "net1", WEB_MAC);
    assert.equal(await getLink(systemRunner, oldPod.ns, "net1"), undefined);
    assert.equal((await getLink(systemRunner, newPod.ns, "net1"))?.mac, WEB_MAC);

    const late = await disconnectPod(zr.socket, oldName, oldPod, "net1");
    assert.deepEqual(late, { appUUID: WEB, usedDHCP: false });
    assert.equal((await getLink(systemRunner, newPod.ns, "net1"))?.mac, WEB_MAC, "new pod intact");
    assert.equal((await getLink(systemRunner, node.ns, "nbu1x1"))?.master, "bn1");
    const { apps } = await inspect(zr.socket, "Inspect.Apps");
    assert.equal(apps.find((a) => a.uuid === WEB)?.boundPod?.podName, newName);
  });
});

sandboxTest("fake-zedrouter: SIGHUP reloads; a dead dnsmasq is restarted", TOOLS, async (sb) => {
  const config = `${sb.dir}/config.yaml`;
  await Deno.copyFile(FLOW_CONFIG, config);
  await withZedrouter(sb, async ({ node, zr }) => {
    const pidFile = `${zr.stateDir}/dnsmasq-ni-local.pid`;
    const firstPid = (await readPidFile(pidFile))!;
    assert.ok(isAlive(firstPid));

    // dnsmasq dies: the watch loop brings it back.
    Deno.kill(firstPid, "SIGKILL");
    const restarted = await eventually("dnsmasq restart", async () => {
      const { dnsmasq } = await inspect(zr.socket, "Inspect.Config");
      const d = dnsmasq.find((x) => x.networkInstance === "ni-local")!;
      return d.running && d.pid !== firstPid ? d : undefined;
    }, WAIT_MS);
    assert.equal(restarted.restarts, 1);
    assert.ok(isAlive(restarted.pid!));

    // A pod of app "switched", which the new config drops.
    const pod = await sb.netns("pod");
    await connectL2(zr.socket, "switched-33333-abcde", pod, "net1", "02:16:3e:77:00:03");
    assert.ok(await getLink(systemRunner, pod.ns, "net1"));

    // A new NI and a new app on ni-local, app "switched" gone, then SIGHUP.
    const text = await Deno.readTextFile(config);
    const withoutSwitched = text.replace(/ {2}- name: switched\n( {4}.*\n)+/, "");
    assert.notEqual(withoutSwitched, text);
    await Deno.writeTextFile(
      config,
      withoutSwitched.replace(
        "apps:\n",
        `  - {name: ni-new, type: local, bridge: bn9, subnet: 10.77.9.0/24}
apps:
  - name: late
    uuid: 55555555-eeee-4eee-8eee-555555555555
    adapters:
      - {networkInstance: ni-local, mac: "02:16:3e:77:00:55", ip: 10.77.1.55}
      - {networkInstance: ni-new}
`,
      ),
    );
    zr.signal("SIGHUP");
    const late = await eventually("the reloaded app", async () => {
      const { apps } = await inspect(zr.socket, "Inspect.Apps");
      return apps.find((a) => a.name === "late");
    }, WAIT_MS);
    assert.equal(late.kubeName, "late-55555");
    // The reload swaps the config before it detaches what the new one dropped and syncs
    // dnsmasq, so "late" is visible a moment before the reload is done: its log line says so.
    await eventually(
      "the reload's end",
      async () => (/Reloaded: /.test(await zr.log()) ? true : undefined),
      WAIT_MS,
    );
    // The dropped app's pod interface went with it.
    assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
    assert.deepEqual((await inspect(zr.socket, "Inspect.Attachments")).attachments, []);
    assert.ok(await getLink(systemRunner, node.ns, "bn9"), "new bridge");
    const conf = await Deno.readTextFile(`${zr.stateDir}/dnsmasq-ni-local.conf`);
    assert.match(conf, /^dhcp-host=02:16:3e:77:00:55,id:\*,10\.77\.1\.55,late-55555$/m);
    await eventually("dnsmasq of ni-new", async () => {
      const { dnsmasq } = await inspect(zr.socket, "Inspect.Config");
      return dnsmasq.find((d) => d.networkInstance === "ni-new" && d.running);
    }, WAIT_MS);
    const { dnsmasq } = await inspect(zr.socket, "Inspect.Config");
    const local = dnsmasq.find((d) => d.networkInstance === "ni-local")!;
    assert.notEqual(local.pid, restarted.pid, "restarted for the new reservation");
    assert.ok(!isAlive(restarted.pid!));

    // A broken config on SIGHUP keeps the old one in force.
    await Deno.writeTextFile(config, "networkInstances: [{name: x}]\n");
    zr.signal("SIGHUP");
    await eventually(
      "the reload error",
      async () =>
        /Reload failed, keeping the previous config/.test(await zr.log()) ? true : undefined,
      WAIT_MS,
    );
    const { apps } = await inspect(zr.socket, "Inspect.Apps");
    assert.ok(apps.some((a) => a.name === "late"));
  }, { config });
});
