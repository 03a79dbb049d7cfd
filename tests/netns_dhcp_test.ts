/**
 * Root tests: busybox udhcpc in a pod netns against a real dnsmasq in a node netns. The
 * node has a bridge with a dhcp-host reservation; the pod has a veth into that bridge.
 * Assertions read dnsmasq's lease file and the kernel, not only what our code returned.
 */
import assert from "node:assert/strict";
import {
  acquireLease,
  addAddr,
  type DnsmasqConfigOptions,
  isAlive,
  readDhcpEvents,
  readDnsmasqLeases,
  readPidFile,
  releaseDhcpClient,
  releaseLease,
  renderDnsmasqConfig,
  renewDhcpClient,
  startDhcpClient,
  startDnsmasq,
  stopDnsmasq,
  systemRunner as run,
  waitForDhcpEvent,
  writeUdhcpcHookScript,
} from "../netns/mod.ts";
import { type Sandbox, type SandboxNetns, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { dhcpNode } from "./dhcp_harness.ts";
import { inetAddrs } from "./addresses.ts";
import { eventually } from "./poll.ts";

const POD_MAC = "02:16:3e:aa:bb:01";
const POD_IP = "10.66.0.5";

interface DhcpPod {
  pod: SandboxNetns;
  leaseFile: string;
  hookPath: string;
  dnsmasqPid: number;
}

/** node netns: bridge bn1 10.66.0.1/24 + dnsmasq; pod netns: net1 (POD_MAC) on that bridge. */
async function dhcpPod(sb: Sandbox, extra: Partial<DnsmasqConfigOptions> = {}): Promise<DhcpPod> {
  const { pod, leaseFile, dnsmasqPid } = await dhcpNode(sb, {
    mac: POD_MAC,
    ip: POD_IP,
    hostname: "app1",
    moreDhcpOptions: [{ option: "option:domain-name", values: ["lab.test"] }],
    dnsmasq: { logDhcp: true, logFacility: `${sb.dir}/dnsmasq.log`, ...extra },
  });
  const hookPath = `${sb.dir}/udhcpc-hook.sh`;
  await writeUdhcpcHookScript(hookPath);
  return { pod, leaseFile, hookPath, dnsmasqPid };
}

async function waitLeaseFile(path: string, want: (macs: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const macs = (await readDnsmasqLeases(path)).map((l) => l.mac);
    if (want(macs) || Date.now() >= deadline) return macs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

sandboxTest(
  "udhcpc one-shot lease equals the dnsmasq reservation",
  ["udhcpc", "dnsmasq"],
  async (sb) => {
    const lab = await dhcpPod(sb);
    const identity = {
      netnsPath: lab.pod.path,
      ifname: "net1",
      hostname: "app1",
      scriptPath: lab.hookPath,
      timeoutSeconds: 1,
      retries: 5,
    };
    const lease = await acquireLease(run, identity);
    assert.equal(lease.address, `${POD_IP}/24`);
    assert.equal(lease.gateway, "10.66.0.1");
    assert.deepEqual(lease.dns, ["10.66.0.1"]);
    assert.equal(lease.domain, "lab.test");
    assert.deepEqual(lease.routes, [
      { dst: "0.0.0.0/0", via: "10.66.0.1" },
      { dst: "10.99.0.0/16", via: "10.66.0.1" },
    ]);
    assert.equal(lease.serverId, "10.66.0.1");
    assert.equal(lease.leaseSeconds, 3600);

    const leases = await readDnsmasqLeases(lab.leaseFile);
    assert.deepEqual(leases.map((l) => [l.mac, l.ip, l.hostname]), [[POD_MAC, POD_IP, "app1"]]);
    // The hook reports only: the address is zedrouter's to apply at L3.
    assert.deepEqual(
      await inetAddrs(lab.pod, "net1"),
      [],
    );

    // Release is a unicast from the leased address: apply it as zedrouter does at L3 first.
    await addAddr(run, lab.pod.ns, "net1", lease.address);
    assert.equal(await releaseLease({ ...identity, address: lease.address }), true);
    assert.deepEqual(await waitLeaseFile(lab.leaseFile, (macs) => macs.length === 0), []);
    assert.ok(isAlive(lab.dnsmasqPid));
  },
);

sandboxTest("udhcpc works through a /proc/<pid>/ns/net path", ["udhcpc", "dnsmasq"], async (sb) => {
  const lab = await dhcpPod(sb);
  // A process parked in the pod netns, as a pause container would be.
  const { spawnDaemon } = await import("../netns/mod.ts");
  const holder = spawnDaemon(["ip", "netns", "exec", lab.pod.name, "sleep", "60"]);
  sb.track(holder);
  const procPath = `/proc/${holder.pid}/ns/net`;
  await eventually(
    "the holder to enter the pod netns",
    async () =>
      (await Deno.readLink(procPath)) !== (await Deno.readLink("/proc/self/ns/net"))
        ? true
        : undefined,
    3000,
    20,
  );
  const lease = await acquireLease(run, {
    netnsPath: procPath,
    ifname: "net1",
    scriptPath: lab.hookPath,
    timeoutSeconds: 1,
    retries: 5,
  });
  assert.equal(lease.address, `${POD_IP}/24`);
});

sandboxTest(
  "udhcpc one-shot fails cleanly when no server answers",
  ["udhcpc", "dnsmasq"],
  async (sb) => {
    const lab = await dhcpPod(sb, { dhcpHosts: [] });
    const error = await acquireLease(run, {
      netnsPath: lab.pod.path,
      ifname: "net1",
      scriptPath: lab.hookPath,
      timeoutSeconds: 1,
      retries: 1,
    }).catch((e) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /no lease obtained on "net1"/);
  },
);

sandboxTest("long-running udhcpc renews and releases on DEL", ["udhcpc", "dnsmasq"], async (sb) => {
  const lab = await dhcpPod(sb);
  const eventFile = `${sb.dir}/net1.events`;
  const pidFile = `${sb.dir}/net1.udhcpc.pid`;
  const client = await startDhcpClient({
    netnsPath: lab.pod.path,
    ifname: "net1",
    hostname: "app1",
    scriptPath: lab.hookPath,
    eventFile,
    pidFile,
  });
  sb.track(client);
  const bound = await waitForDhcpEvent(eventFile, (e) => e.event === "bound", { timeoutMs: 10000 });
  assert.equal(bound?.ip, POD_IP);
  assert.equal(bound?.mask, "24");
  // zedrouter applies the address at L3; the renew/release unicasts leave from it.
  await addAddr(run, lab.pod.ns, "net1", `${POD_IP}/24`);
  assert.equal(await readPidFile(pidFile), client.pid);
  assert.deepEqual(await waitLeaseFile(lab.leaseFile, (m) => m.length === 1), [POD_MAC]);

  const before = (await readDhcpEvents(eventFile)).length;
  renewDhcpClient(client.pid);
  const renew = await waitForDhcpEvent(eventFile, (e) => e.event === "renew", {
    skip: before,
    timeoutMs: 10000,
  });
  assert.equal(renew?.ip, POD_IP);

  await releaseDhcpClient(client.pid, { eventFile });
  assert.equal(isAlive(client.pid), false);
  const events = (await readDhcpEvents(eventFile)).map((e) => e.event);
  assert.equal(events.at(-1), "deconfig", events.join(","));
  assert.deepEqual(await waitLeaseFile(lab.leaseFile, (m) => m.length === 0), []);
  // The hook never touched the interface: deconfig left the L3 address in place.
  assert.deepEqual(await inetAddrs(lab.pod, "net1"), [`${POD_IP}/24`]);
  await stopDnsmasq(lab.dnsmasqPid);
  assert.equal(isAlive(lab.dnsmasqPid), false);
});

sandboxTest(
  "a detached udhcpc outlives the process that started it (as after a CNI ADD)",
  ["udhcpc", "dnsmasq"],
  async (sb) => {
    const lab = await dhcpPod(sb);
    const eventFile = `${sb.dir}/net1.events`;
    const pidFile = `${sb.dir}/net1.udhcpc.pid`;
    const script = `${sb.dir}/start_client.ts`;
    const modUrl = new URL("../netns/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { startDhcpClient } from ${JSON.stringify(modUrl)};\n` +
        `const client = await startDhcpClient(JSON.parse(Deno.args[0]));\n` +
        `await Deno.stdout.write(new TextEncoder().encode(String(client.pid)));\n`,
    );
    const options = {
      netnsPath: lab.pod.path,
      ifname: "net1",
      scriptPath: lab.hookPath,
      eventFile,
      pidFile,
    };
    const config = new URL("../deno.json", import.meta.url).pathname;
    const starter = await run(
      [Deno.execPath(), "run", "-A", `--config=${config}`, script, JSON.stringify(options)],
      { timeoutMs: 60000 },
    );
    assert.equal(starter.code, 0, starter.stderr);
    const pid = Number(starter.stdout);
    assert.ok(pid > 1, starter.stdout);
    sb.track(pid);
    // The starter has exited (run() returned); the client keeps going on its own.
    assert.ok(isAlive(pid));
    const bound = await waitForDhcpEvent(eventFile, (e) => e.event === "bound", {
      timeoutMs: 10000,
    });
    assert.equal(bound?.ip, POD_IP);
    assert.equal(await readPidFile(pidFile), pid);
    await addAddr(run, lab.pod.ns, "net1", `${POD_IP}/24`);
    await releaseDhcpClient(pid, { eventFile });
    assert.equal(isAlive(pid), false);
    assert.deepEqual(await waitLeaseFile(lab.leaseFile, (m) => m.length === 0), []);
  },
);

sandboxTest("startDnsmasq reports dnsmasq's own start-up error", ["dnsmasq"], async (sb) => {
  const node = await sb.netns("node");
  const confPath = `${sb.dir}/bad.conf`;
  await Deno.writeTextFile(
    confPath,
    renderDnsmasqConfig({
      interface: "nope0",
      dhcpRanges: [{ start: "10.67.0.2", end: "10.67.0.9" }],
      leaseFile: `${sb.dir}/bad.leases`,
    }),
  );
  const error = await startDnsmasq(run, {
    netns: node.ns,
    confPath,
    pidPath: `${sb.dir}/bad.pid`,
  }).catch((e) => e);
  assert.ok(error instanceof Error);
  assert.match(error.message, /^dnsmasq did not start \(exit \d+\): .*nope0/);
});

sandboxTest(
  "startDnsmasq refuses a config whose pid-file differs from pidPath",
  ["dnsmasq"],
  async (sb) => {
    const confPath = `${sb.dir}/pid.conf`;
    await Deno.writeTextFile(
      confPath,
      renderDnsmasqConfig({
        interface: "bn1",
        dhcpRanges: [],
        leaseFile: `${sb.dir}/l`,
        pidFile: `${sb.dir}/a.pid`,
      }),
    );
    await assert.rejects(
      startDnsmasq(run, { confPath, pidPath: `${sb.dir}/b.pid` }),
      /sets pid-file=".*a\.pid", not ".*b\.pid"/,
    );
  },
);
