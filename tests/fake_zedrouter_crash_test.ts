/**
 * fake-zedrouter after a crash (SIGKILL: no chance to stop its dnsmasqs): the next start
 * finds each NI's leftover dnsmasq by its pid file, stops it and runs its own, so exactly
 * one dnsmasq serves each NI and DHCP still answers. Read back from /proc, the pid file and
 * a DHCP exchange from a pod, before the harness's own leftover cleanup runs.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { isAlive, readPidFile, stopPid } from "../netns/mod.ts";
import { listProcesses } from "../scripts/sandbox/processes.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  connectL2,
  FLOW_CONFIG,
  inspect,
  leaseFromPod,
  nodeWithUplink,
  startZedrouter,
} from "./fake_zedrouter_harness.ts";

const TOOLS = ["dnsmasq", "udhcpc", "go"];
const WEB_MAC = "02:16:3e:77:00:01";

/** Pids of every live dnsmasq started with `--conf-file=<confPath>`. */
async function dnsmasqsServing(confPath: string): Promise<number[]> {
  return (await listProcesses("dnsmasq"))
    .filter((p) => p.cmdline.includes(`--conf-file=${confPath}`) && isAlive(p.pid))
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

sandboxTest(
  "fake-zedrouter: after a SIGKILL, a restart replaces the leftover dnsmasq of each NI",
  TOOLS,
  async (sb) => {
    const { node } = await nodeWithUplink(sb);
    const first = await startZedrouter(sb, node);
    const stateDir = first.stateDir;
    const conf = (ni: string) => `${stateDir}/dnsmasq-${ni}.conf`;
    const pidFile = (ni: string) => `${stateDir}/dnsmasq-${ni}.pid`;
    const nis = ["ni-local", "ni-isolated"];
    const before = new Map<string, number[]>();
    try {
      for (const ni of nis) before.set(ni, await dnsmasqsServing(conf(ni)));
      for (const ni of nis) {
        assert.equal(before.get(ni)!.length, 1, `one dnsmasq for ${ni} before the crash`);
        assert.equal(await readPidFile(pidFile(ni)), before.get(ni)![0]);
      }

      // The crash: fake-zedrouter gets no chance to stop its children.
      Deno.kill(first.daemon.pid, "SIGKILL");
      await first.daemon.exited;
      for (const ni of nis) {
        assert.deepEqual(await dnsmasqsServing(conf(ni)), before.get(ni), `${ni} orphaned`);
      }

      const second = await startZedrouter(sb, node, { stateDir });
      try {
        const { dnsmasq } = await inspect(second.socket, "Inspect.Config");
        for (const ni of nis) {
          const [oldPid] = before.get(ni)!;
          const live = await dnsmasqsServing(conf(ni));
          assert.equal(live.length, 1, `exactly one dnsmasq for ${ni}: ${live.join(", ")}`);
          assert.notEqual(live[0], oldPid, `${ni}: the leftover was replaced`);
          assert.ok(!isAlive(oldPid!), `${ni}: leftover pid ${oldPid} is gone`);
          assert.equal(await readPidFile(pidFile(ni)), live[0], `${ni}: pid file names it`);
          const status = dnsmasq.find((d) => d.networkInstance === ni);
          assert.equal(status?.pid, live[0], `${ni}: the supervisor watches the live one`);
        }
        assert.match(await second.log(), /Stopped dnsmasq .*ni-local.* left by an earlier run/);

        // And it serves: a pod gets its reservation from the new dnsmasq.
        const pod = await sb.netns("pod");
        await connectL2(second.socket, "web-11111-abcde", pod, "net1", WEB_MAC);
        const lease = await leaseFromPod(sb, pod, "net1");
        assert.equal(lease.address, "10.77.1.50/24");
      } finally {
        await second.stop();
      }
    } finally {
      // Safety net only (after the assertions): orphans of a failed run must not outlive
      // the sandbox. Each pid is checked against /proc before it is signalled.
      for (const ni of nis) {
        for (const pid of await dnsmasqsServing(conf(ni))) await stopPid(pid);
      }
    }
  },
);

sandboxTest(
  "fake-zedrouter: a restart on a config without an NI stops that NI's leftover dnsmasq",
  TOOLS,
  async (sb) => {
    const { node } = await nodeWithUplink(sb);
    const first = await startZedrouter(sb, node);
    const stateDir = first.stateDir;
    const removedConf = `${stateDir}/dnsmasq-ni-isolated.conf`;
    let orphan: number | undefined;
    try {
      [orphan] = await dnsmasqsServing(removedConf);
      assert.ok(orphan !== undefined, "ni-isolated has a dnsmasq before the crash");
      Deno.kill(first.daemon.pid, "SIGKILL");
      await first.daemon.exited;
      assert.ok(isAlive(orphan), "the crash left it running");

      // The NI (and the app on it) is gone from the config the next run starts with.
      const config = parse(await Deno.readTextFile(FLOW_CONFIG));
      config.networkInstances = config.networkInstances.filter(
        (ni: { name: string }) => ni.name !== "ni-isolated",
      );
      config.apps = config.apps.filter((app: { name: string }) => app.name !== "iso");
      const smaller = `${sb.dir}/without-isolated.yaml`;
      await Deno.writeTextFile(smaller, stringify(config));

      const second = await startZedrouter(sb, node, { stateDir, config: smaller });
      try {
        assert.deepEqual(await dnsmasqsServing(removedConf), [], "no dnsmasq serves ni-isolated");
        assert.ok(!isAlive(orphan), `leftover pid ${orphan} is gone`);
        assert.equal(await readPidFile(`${stateDir}/dnsmasq-ni-isolated.pid`), undefined);
        assert.match(await second.log(), /Stopped dnsmasq .* of removed NI ni-isolated/);
        assert.equal((await dnsmasqsServing(`${stateDir}/dnsmasq-ni-local.conf`)).length, 1);
      } finally {
        await second.stop();
      }
    } finally {
      for (const conf of [removedConf, `${stateDir}/dnsmasq-ni-local.conf`]) {
        for (const pid of await dnsmasqsServing(conf)) await stopPid(pid);
      }
    }
  },
);
