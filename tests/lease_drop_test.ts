/**
 * Root test of fake-zedrouter's lease drop (cli/fake-zedrouter/lease_drop.ts) against a real
 * dnsmasq: a one-shot udhcpc takes the pod's reservation and quits without releasing it (what
 * a killed client leaves behind), then the drop runs `dhcp_release` in the node's netns, where
 * dnsmasq serves the bridge. Asserted on dnsmasq's own lease file.
 */
import assert from "node:assert/strict";
import {
  acquireLease,
  readDnsmasqLeases,
  systemRunner as run,
  writeUdhcpcHookScript,
} from "../netns/mod.ts";
import type { Runner } from "../netns/mod.ts";
import { type Sandbox, type SandboxNetns, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { dropNiLease } from "../cli/fake-zedrouter/lease_drop.ts";
import { dhcpNode } from "./dhcp_harness.ts";

const POD_MAC = "02:16:3e:aa:bb:07";
const POD_IP = "10.66.0.7";

/** fake-zedrouter runs where dnsmasq runs: here, the node's netns. */
function nodeRunner(sb: Sandbox, node: SandboxNetns): Runner {
  return (argv) => sb.exec(node, argv);
}

/** A lease dnsmasq holds for POD_MAC whose client is gone. */
async function orphanLease(sb: Sandbox) {
  const lab = await dhcpNode(sb, { mac: POD_MAC, ip: POD_IP, hostname: "app1" });
  const hookPath = `${sb.dir}/udhcpc-hook.sh`;
  await writeUdhcpcHookScript(hookPath);
  await acquireLease(run, {
    netnsPath: lab.pod.path,
    ifname: "net1",
    scriptPath: hookPath,
    timeoutSeconds: 1,
    retries: 5,
  });
  const held = (await readDnsmasqLeases(lab.leaseFile)).filter((l) => l.mac === POD_MAC);
  assert.deepEqual(held.map((l) => l.ip), [POD_IP], "the one-shot client left its lease");
  return lab;
}

sandboxTest(
  "fake-zedrouter drops the lease dnsmasq holds for a MAC (dhcp_release), then none",
  ["udhcpc", "dnsmasq", "dhcp_release"],
  async (sb) => {
    const lab = await orphanLease(sb);
    const target = { leaseFile: lab.leaseFile, bridge: "bn1", mac: POD_MAC };
    const drop = await dropNiLease(nodeRunner(sb, lab.node), target);
    assert.deepEqual(drop, { outcome: "released", ips: [POD_IP] });
    assert.deepEqual(await readDnsmasqLeases(lab.leaseFile), [], "dnsmasq dropped it");
    // Again (a repeated DisconnectPod): nothing held, nothing run.
    const calls: string[][] = [];
    const again = await dropNiLease((argv) => {
      calls.push([...argv]);
      return run(argv);
    }, target);
    assert.deepEqual(again, { outcome: "none", ips: [] });
    assert.deepEqual(calls, []);
  },
);

sandboxTest(
  "a lease dnsmasq does not give up is reported kept, with the reason",
  ["udhcpc", "dnsmasq", "dhcp_release"],
  async (sb) => {
    const lab = await orphanLease(sb);
    // The release goes to an interface dnsmasq does not serve: it keeps the lease.
    const target = { leaseFile: lab.leaseFile, bridge: "lo", mac: POD_MAC };
    const drop = await dropNiLease(nodeRunner(sb, lab.node), target, { confirmMs: 300 });
    assert.equal(drop.outcome, "kept");
    assert.ok(drop.reason !== undefined && drop.reason !== "", "says why");
    const held = (await readDnsmasqLeases(lab.leaseFile)).map((l) => l.ip);
    assert.deepEqual(held, [POD_IP], "the lease is still there");
  },
);
