/**
 * The lease keeper against a real dnsmasq, with the pod netns given as /proc/<pid>/ns/net
 * (how some runtimes pass CNI_NETNS): the first lease within bounds, option 121 routes, a
 * renewal, the release (dnsmasq's lease entry goes), and the pid-reuse guard.
 */
import assert from "node:assert/strict";
import {
  isAlive,
  readDnsmasqLeases,
  renewDhcpClient,
  spawnDaemon,
  systemRunner as run,
} from "../netns/mod.ts";
import { silentLogger } from "../plugin/cni/mod.ts";
import { attachmentPaths, isOurDhcpClient } from "../core/eve/mod.ts";
import { installHook } from "../plugin/eve-bridge/dhcp/hook.ts";
import { stopAttachmentDhcp, stopDhcpClient } from "../plugin/eve-bridge/dhcp/client_process.ts";
import { leaseRoutes } from "../plugin/eve-bridge/l3_request.ts";
import {
  latestLease,
  startLeaseClient,
  waitFirstLease,
} from "../plugin/eve-bridge/dhcp/lease_keeper.ts";
import { type Sandbox, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { dhcpNode } from "./dhcp_harness.ts";
import { eventuallyTrue } from "./poll.ts";

const POD_MAC = "02:16:3e:aa:bb:07";

async function lab(sb: Sandbox): Promise<{ podPath: string; leaseFile: string }> {
  const { pod, leaseFile } = await dhcpNode(sb, {
    mac: POD_MAC,
    ip: "10.66.0.7",
    hostname: "app7",
  });
  // A process living in the pod netns, as a container's init would.
  const holder = spawnDaemon(["nsenter", `--net=${pod.path}`, "sleep", "600"]);
  sb.track(holder);
  return { podPath: `/proc/${holder.pid}/ns/net`, leaseFile };
}

sandboxTest(
  "eve-bridge lease keeper: lease, renewal and release via a /proc/<pid>/ns/net path",
  ["udhcpc", "dnsmasq"],
  async (sb) => {
    const { podPath, leaseFile } = await lab(sb);
    const stateDir = `${sb.dir}/state`;
    const paths = attachmentPaths(stateDir, "c1", "net1");
    await Deno.mkdir(paths.dir, { recursive: true });
    const hook = await installHook(stateDir, undefined);
    const client = await startLeaseClient(paths, podPath, "net1", hook);
    sb.track(client.record.pid);
    const lease = await waitFirstLease(
      client,
      { timeoutSeconds: 2, retries: 3 },
      "net1",
      silentLogger,
    );
    assert.equal(lease.address, "10.66.0.7/24");
    assert.deepEqual(leaseRoutes(lease), [
      { dst: "0.0.0.0/0", gw: "10.66.0.1" },
      { dst: "10.99.0.0/16", gw: "10.66.0.1" },
    ]);
    assert.ok((await readDnsmasqLeases(leaseFile)).some((l) => l.mac === POD_MAC));
    assert.equal(isOurDhcpClient(client.record, stateDir), true);
    assert.ok(client.record.startTime !== undefined, "the start time is recorded");
    // A pid whose command line names another pid file is not ours (pid reuse guard).
    assert.equal(isOurDhcpClient({ ...client.record, pidFile: "/x.pid" }), false);
    // Nor one that started at another time (the pid was reused).
    assert.equal(isOurDhcpClient({ ...client.record, startTime: 1 }), false);

    // Renewal: a `renew` event with the same address.
    renewDhcpClient(client.record.pid);
    const renewed = await eventuallyTrue(
      async () => (await Deno.readTextFile(paths.events)).includes('"event":"renew"'),
      10_000,
      50,
    );
    assert.ok(renewed, "udhcpc renewed");
    assert.equal((await latestLease(paths.events))?.address, "10.66.0.7/24");

    // The release goes out from the leased address, which nobody put on the interface here
    // (an ADD killed before L3): the stop puts it there first, and says "released" only then.
    const stopped = await stopAttachmentDhcp(run, client.record, undefined, silentLogger);
    assert.equal(stopped, "released");
    assert.ok(!isAlive(client.record.pid));
    assert.ok(!(await readDnsmasqLeases(leaseFile)).some((l) => l.mac === POD_MAC));
    assert.equal(await stopDhcpClient(run, client.record), "already-gone");
  },
);

sandboxTest(
  "eve-bridge lease keeper: a client that cannot start fails fast with code 106",
  ["udhcpc"],
  async (sb) => {
    const stateDir = `${sb.dir}/state`;
    const paths = attachmentPaths(stateDir, "c1", "net1");
    await Deno.mkdir(paths.dir, { recursive: true });
    const hook = await installHook(stateDir, undefined);
    const client = await startLeaseClient(paths, `${sb.dir}/no-such-netns`, "net1", hook);
    sb.track(client.record.pid);
    await assert.rejects(
      waitFirstLease(client, { timeoutSeconds: 30, retries: 3 }, "net1", silentLogger),
      (e: { code: number; msg: string }) =>
        // Not the timeout's message: the exit was noticed at once.
        e.code === 106 && e.msg === 'udhcpc exited before it obtained a lease on "net1"',
    );
  },
);
