/**
 * Root tests: the pool of long-lived `ip -batch` processes (ipPoolRunner) against the kernel
 * in evetest-* namespaces. Every result is read back (by the batch and by a plain spawn), failures keep ip's words
 * and kinds, and the count of ip processes stays flat however many commands run.
 */
import assert from "node:assert/strict";
import {
  addAddr,
  addRoute,
  CommandError,
  createNetns,
  createVethPair,
  deleteNetns,
  getLink,
  getSysctl,
  interfaceSysctlKey,
  ipPoolRunner,
  isAlive,
  isCommandError,
  listAddrs,
  listBridgePorts,
  setLinkDown,
  setLinkUp,
  setSysctl,
  systemRunner,
} from "../netns/mod.ts";
import { IpProcess } from "../netns/ip_pool_process.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";

const STALE_FIXTURE = new URL("./fixtures/netns/ip_pool_stale.ts", import.meta.url).pathname;
const POD_GONE_FIXTURE = new URL("./fixtures/netns/ip_pool_pod_gone.ts", import.meta.url).pathname;

sandboxTest(
  "ip pool: writes and reads in named namespaces match what a spawn reads",
  [],
  async (sb) => {
    const node = await sb.netns("node");
    const pod = await sb.netns("pod");
    const batch = ipPoolRunner();
    try {
      await createVethPair(batch, node.ns, {
        hostName: "nbu1x1",
        peerName: "net1",
        peerNetns: pod.ns,
        peerMac: "02:16:3e:00:00:07",
        mtu: 1400,
      });
      await setSysctl(batch, pod.ns, interfaceSysctlKey("ipv4", "net1", "arp_notify"), 1);
      await setLinkUp(batch, pod.ns, "net1");
      await addAddr(batch, pod.ns, "net1", "10.9.0.5/24");
      // An address already there: ip's own words, classified as a spawn's would be.
      await assert.rejects(
        addAddr(batch, pod.ns, "net1", "10.9.0.5/24"),
        (e) => isCommandError(e, "exists") && /already assigned|File exists/.test(e.stderr),
      );
      for (const runner of [batch, systemRunner]) {
        const peer = await getLink(runner, pod.ns, "net1");
        assert.equal(peer?.mac, "02:16:3e:00:00:07");
        assert.equal(peer?.mtu, 1400);
        assert.equal(peer?.adminUp, true);
        assert.deepEqual(
          (await listAddrs(runner, pod.ns, "net1")).filter((a) => a.family === "inet"),
          [{ ifname: "net1", cidr: "10.9.0.5/24", family: "inet", scope: "global" }],
        );
        assert.equal(
          await getSysctl(runner, pod.ns, interfaceSysctlKey("ipv4", "net1", "arp_notify")),
          "1",
        );
        assert.equal(await getLink(runner, node.ns, "nosuch"), undefined);
      }
      // Our own netns is only read, never changed. Addresses read after a link still show
      // (iproute2's batch mode would list none: ip_pool_line.ts).
      assert.equal((await getLink(batch, undefined, "lo"))?.name, "lo");
      assert.ok(
        (await listAddrs(batch, undefined, "lo")).some((a) => a.cidr === "127.0.0.1/8"),
        "lo's address, read after a link",
      );
      assert.equal(batch.stats().fallbacks, 1, "only that read of our addresses was spawned");
    } finally {
      await batch.close();
    }
  },
);

sandboxTest("ip pool: a thousand commands, a handful of ip processes", [], async (sb) => {
  const pod = await sb.netns("pod");
  const batch = ipPoolRunner({ netnsProcesses: 2 });
  try {
    const names = ["lo", "nosuch"];
    for (let round = 0; round < 100; round++) {
      // Ten at a time: they share two netns processes, answers never mixed up.
      const found = await Promise.all(
        Array.from({ length: 10 }, (_, i) => getLink(batch, pod.ns, names[i % 2]!)),
      );
      found.forEach((link, i) => assert.equal(link?.name, i % 2 ? undefined : "lo"));
    }
    const stats = batch.stats();
    assert.equal(stats.lines, 1000);
    assert.ok(stats.processesStarted <= 2, `${stats.processesStarted} ip processes started`);
  } finally {
    await batch.close();
  }
});

sandboxTest(
  "ip pool: a pod's lines share one ip inside its netns, for a while, in that netns only",
  [],
  async (sb) => {
    const pod = await sb.netns("pod");
    const again = await sb.netns("again");
    const batch = ipPoolRunner({ insideIdleMs: 300 });
    try {
      await createVethPair(batch, again.ns, {
        hostName: "v0",
        peerName: "net1",
        peerNetns: pod.ns,
      });
      await setLinkUp(batch, pod.ns, "net1");
      await addAddr(batch, pod.ns, "net1", "10.9.0.5/24");
      await addRoute(batch, pod.ns, { dst: "10.10.0.0/16", via: "10.9.0.1", dev: "net1" });
      const inPod = batch.stats();
      assert.equal(inPod.insideStarted, 2, "one ip inside each netns, however many lines");
      for (const runner of [batch, systemRunner]) {
        assert.equal((await getLink(runner, pod.ns, "net1"))?.adminUp, true);
        assert.deepEqual(
          (await listAddrs(runner, pod.ns, "net1")).filter((a) => a.family === "inet")
            .map((a) => a.cidr),
          ["10.9.0.5/24"],
        );
      }
      // Idle for longer than insideIdleMs: the ips inside end, and hold no netns any more.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const ownNetns = Deno.readLinkSync("/proc/self/ns/net");
      const insidePids = inPod.pids.filter((pid) => !batch.stats().pids.includes(pid));
      assert.ok(insidePids.length >= 2, JSON.stringify(inPod.pids));
      for (const pid of insidePids) assert.equal(isAlive(pid), false, `ip ${pid} ended`);
      for (const pid of batch.stats().pids) {
        assert.equal(Deno.readLinkSync(`/proc/${pid}/ns/net`), ownNetns, `ip ${pid} is ours`);
      }
      // The same name for a new netns: a line in it goes to the new one, not the old one's ip.
      await getLink(batch, again.ns, "v0");
      await deleteNetns(systemRunner, again.name);
      await createNetns(systemRunner, again.name);
      assert.equal(await getLink(batch, again.ns, "v0"), undefined, "the new netns has no v0");
      await setLinkUp(batch, again.ns, "lo");
      assert.equal((await getLink(systemRunner, again.ns, "lo"))?.adminUp, true);
      assert.equal(batch.stats().fallbacks, 0);
    } finally {
      await batch.close();
    }
  },
);

sandboxTest(
  "ip pool: in a netns with its loopback down, lines answer right without an ip inside",
  [],
  async (sb) => {
    const pod = await sb.netns("pod");
    await setLinkDown(systemRunner, pod.ns, "lo");
    const batch = ipPoolRunner();
    try {
      // The first line finds the output markers failing (no 127.0.0.0/8 without loopback).
      await setLinkUp(batch, pod.ns, "lo");
      await setLinkDown(batch, pod.ns, "lo");
      assert.equal((await getLink(batch, pod.ns, "lo"))?.adminUp, false);
      assert.equal(await getLink(batch, pod.ns, "nosuch"), undefined);
      assert.equal((await getLink(systemRunner, pod.ns, "lo"))?.adminUp, false);
      assert.equal(batch.stats().insideStarted, 1, "one try, then netns exec lines");
    } finally {
      await batch.close();
    }
  },
);

sandboxTest(
  "ip pool: a namespace that is gone, an argument ip exits on, a killed ip",
  [],
  async (sb) => {
    const pod = await sb.netns("pod");
    const batch = ipPoolRunner();
    try {
      await assert.rejects(
        setLinkUp(batch, { name: `${sb.prefix}-gone` }, "net1"),
        (e) => isCommandError(e, "not-found") && /Cannot open network namespace/.test(e.message),
      );
      // iproute2 exits on an invalid argument (here: a master that does not exist): in a
      // namespace that is the child ip forks, in ours the batch process itself (only read
      // here). Either way the error is ip's own and the next command works.
      for (const ns of [pod.ns, undefined]) {
        await assert.rejects(
          listBridgePorts(batch, ns, "nosuchbr"),
          (e) => e instanceof CommandError && /nosuchbr/.test(e.stderr),
        );
        assert.equal((await getLink(batch, ns, "lo"))?.name, "lo");
      }
      // An ip killed while idle is replaced, and the read that found it dead runs again.
      const before = batch.stats();
      assert.ok(before.pids.length > 0);
      for (const pid of before.pids) Deno.kill(pid, "SIGKILL");
      assert.equal((await getLink(batch, pod.ns, "lo"))?.name, "lo");
      assert.equal((await getLink(batch, undefined, "lo"))?.name, "lo");
      // A killed ip no read has touched since (the `netns exec` one, once the pod's lines go
      // to an ip inside it) is dropped as soon as its exit is seen.
      let after = batch.stats();
      for (let i = 0; i < 40 && after.pids.some((pid) => before.pids.includes(pid)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = batch.stats();
      }
      assert.ok(after.pids.every((pid) => !before.pids.includes(pid)), JSON.stringify(after));
      assert.equal(after.fallbacks, 0);
    } finally {
      await batch.close();
    }
  },
);

sandboxTest(
  "ip pool: links replaced behind ip's back are found by name, not by their old ifindex",
  [],
  async (sb) => {
    // ip -batch remembers names' ifindexes; lines in the runner's own netns must not act
    // on old ones. The runner runs in a sandbox netns, so "its own netns" is not ours.
    const node = await sb.netns("node");
    const pod = await sb.netns("pod");
    const argv = [Deno.execPath(), "run", "-A", "--quiet", STALE_FIXTURE, pod.name];
    const out = await sb.exec(node, argv);
    assert.equal(out.code, 0, out.stderr);
    const { seen, after, stats } = JSON.parse(out.stdout);
    assert.equal(seen?.name, "nbu1x1", "a read names the new link, not an empty object");
    assert.equal(after?.master, "bn1");
    assert.equal(after?.adminUp, true);
    assert.ok(stats.staleRetries >= 1, JSON.stringify(stats));
    assert.equal(stats.fallbacks, 0);
  },
);

sandboxTest(
  "ip pool: a pod netns deleted after its veth was made is not kept alive by any ip",
  [],
  async (sb) => {
    // iproute2 in batch mode keeps the file of a `netns PATH` argument open for good; the
    // veth is made from the pod's side so that none of our long-lived ips ever opens one.
    const node = await sb.netns("node");
    const pod = await sb.netns("pod");
    const argv = [Deno.execPath(), "run", "-A", "--quiet", POD_GONE_FIXTURE, pod.name];
    const out = await sb.exec(node, argv);
    assert.equal(out.code, 0, out.stderr);
    const { made, gone, nsFds, stats } = JSON.parse(out.stdout);
    assert.equal(made, true);
    assert.equal(gone, true, "the host end went with the pod netns");
    assert.deepEqual(nsFds, [], "no ip batch process holds a namespace open");
    assert.equal(stats.fallbacks, 0);
  },
);

sandboxTest(
  "ip pool process: a failed namespace switch retires the process, close ends it",
  [],
  async () => {
    // The one case the runner never sends (it checks the namespace file first): iproute2's
    // forked child returns into the batch loop and reads our stdin.
    const process = new IpProcess("netns");
    const result = await process.run(["netns", "exec", "evetest-nosuch0", "ip", "link"], 10_000);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Cannot open network namespace "evetest-nosuch0"/);
    assert.equal(process.retiredBecause, "netns-switch-failed");
    await process.close(2000);
    assert.equal(isAlive(process.pid), false);
  },
);
