/**
 * Apply's DHCP probe, end to end with real dnsmasq and udhcpc: each changed local NI's
 * dnsmasq must lease the probe MAC its reserved address (the subnet's top host) on a probe
 * port, which is released and removed again. A good apply shows that lease in dnsmasq's
 * log, then its release; a node whose firewall drops DHCP on a new NI's bridge leaves that
 * dnsmasq running but unable to answer, and the apply rolls back (the previous NIs from the
 * kernel, the pod still attached and served) with the NI FailedToConfigure and the reason.
 * Neither leaves a probe port or namespace behind.
 */
import assert from "node:assert/strict";
import { execArgv, getLink, listNetns, runChecked, systemRunner } from "../../netns/mod.ts";
import type { E2eNode, ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { PROBE_PORT } from "../../cli/fake-zedrouter/apply_dhcp_probe.ts";
import { APPLY_PROBE_MAC } from "../../cli/fake-zedrouter/identity.ts";
import {
  APPS,
  CNIDRIVE,
  dnsmasqOf,
  e2eConfig,
  e2eTest,
  NI,
  onLocalNi,
  ping,
  trackedPod,
} from "./harness.ts";
import { applyToNode, niResult } from "./apply_harness.ts";
import { attach, detach } from "./runtime.ts";

/** ni-local2's probe address: the top host of 10.78.2.0/24. */
const LOCAL2_PROBE_IP = "10.78.2.254";
const NEW_NI = { name: "ni-new", type: "local", bridge: "bn9", subnet: "10.78.9.0/24" } as const;

function withLocal2Mtu(mtu: number, extra: ZedrouterConfig["networkInstances"] = []) {
  const config = e2eConfig();
  const nis = config.networkInstances.map((ni) => ni.name === NI.local2.name ? { ...ni, mtu } : ni);
  return { ...config, networkInstances: [...nis, ...extra] };
}

/** No probe port in the node and no probe namespace anywhere (read from the kernel). */
async function assertNoProbeLeft(node: E2eNode): Promise<void> {
  assert.equal(await getLink(systemRunner, node.ns.ns, PROBE_PORT), undefined);
  const left = (await listNetns(systemRunner)).filter((n) => n.endsWith("-dhcp-probe"));
  assert.deepEqual(left.filter((n) => n.startsWith(node.ns.name)), []);
}

e2eTest("e2e: apply's DHCP probe gets a real lease for the probe MAC and releases it", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const good = await applyToNode(node, withLocal2Mtu(1300));
  assert.equal(good.code, 0, JSON.stringify(good.record));
  assert.deepEqual(niResult(good.record, NI.local2.name), {
    name: NI.local2.name,
    change: "changed",
    outcome: "SuccessfullyConfigured",
    error: null,
  });
  const dnsmasq = await dnsmasqOf(node, NI.local2.name);
  const log = await Deno.readTextFile(dnsmasq.logFile);
  const seen = (what: string) =>
    log.includes(`${what}(${NI.local2.bridge}) ${LOCAL2_PROBE_IP} ${APPLY_PROBE_MAC}`);
  assert.ok(seen("DHCPACK"), log);
  assert.ok(seen("DHCPRELEASE"), log);
  // Released: the lease file no longer holds the probe's lease.
  const leases = await Deno.readTextFile(dnsmasq.leaseFile).catch(() => "");
  assert.ok(!leases.includes(APPLY_PROBE_MAC), leases);
  await assertNoProbeLeft(node);
});

e2eTest("e2e: a dnsmasq that cannot answer fails the probe; the apply rolls back", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, onLocalNi(node, APPS.nginx));
  const before = (await node.inspect("Inspect.Attachments")).attachments;
  // The node's firewall drops DHCP arriving on the new NI's bridge: its dnsmasq starts and
  // runs, yet no request reaches it.
  const nft = (args: string[]) => runChecked(systemRunner, execArgv(node.ns.ns, ["nft", ...args]));
  await nft(["add", "table", "inet", "probe_test"]);
  await nft([
    "add",
    "chain",
    "inet",
    "probe_test",
    "input",
    "{ type filter hook input priority 0; }",
  ]);
  await nft([
    "add",
    "rule",
    "inet",
    "probe_test",
    "input",
    "iifname",
    NEW_NI.bridge,
    "udp",
    "dport",
    "67",
    "drop",
  ]);

  const bad = await applyToNode(node, withLocal2Mtu(1300, [NEW_NI]), ["--probe-timeout", "3000"]);
  assert.equal(bad.code, 1);
  assert.deepEqual([bad.record.outcome, bad.record.rolledBack], ["FailedToConfigure", true]);
  const problem = /dnsmasq on "bn9" answered no DHCP request within \d s/;
  assert.match(niResult(bad.record, NEW_NI.name)?.error ?? "", problem);
  assert.equal(niResult(bad.record, NEW_NI.name)?.outcome, "FailedToConfigure");
  assert.match(bad.record.error ?? "", /network instance "ni-new"/);
  // ni-local2 passed its own probe, but the apply as a whole went back.
  assert.equal(niResult(bad.record, NI.local2.name)?.outcome, "SuccessfullyConfigured");

  // The previous config, read back from the kernel: the old MTU, no new bridge.
  assert.equal((await getLink(systemRunner, node.ns.ns, NI.local2.bridge))?.mtu, 1400);
  assert.equal(await getLink(systemRunner, node.ns.ns, NEW_NI.bridge), undefined);
  const dnsmasqs = (await node.inspect("Inspect.Config")).dnsmasq.map((d) => d.networkInstance);
  assert.ok(!dnsmasqs.includes(NEW_NI.name), dnsmasqs.join());
  // Attachments untouched: the same list, the pod's veth still on its bridge, still served.
  assert.deepEqual((await node.inspect("Inspect.Attachments")).attachments, before);
  const gw = await ping(pod, "10.78.1.1");
  assert.ok(gw.ok, gw.output);
  await assertNoProbeLeft(node);

  await detach(CNIDRIVE, node, attached);
});
