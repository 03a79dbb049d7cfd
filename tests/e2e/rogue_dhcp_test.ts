/**
 * Issue 17, item 4: a rogue DHCP server behind a switch NI (dnsmasq in the upstream namespace,
 * as anybody on that network could run) offers leases that would hijack the pod's cluster
 * traffic or are not usable. ADD refuses each with code 106 naming why, and leaves nothing;
 * a renewal that turns rogue is refused and logged, the pod keeps its address and routes.
 * Addresses and routes are read back from the pod's kernel.
 */
import assert from "node:assert/strict";
import { startUpstreamDnsmasq } from "../../scripts/sandbox/upstream_dnsmasq.ts";
import { addAddr, type DhcpOption, signalPid, systemRunner } from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  e2eTest,
  NI,
  podAddresses,
  podLink,
  podRoutes,
  SWITCH_NET,
  trackedPod,
  UPSTREAM_ROLE,
} from "./harness.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { cni } from "../../scripts/sandbox/pod.ts";
import { attach, detach, eth0, netX } from "./runtime.ts";
import { eventuallyTrue } from "../poll.ts";

const GW = SWITCH_NET.server;
const HIJACK: DhcpOption = {
  option: "option:classless-static-route",
  values: ["10.43.0.0/17", GW, "10.43.128.0/17", GW],
};

/** The rogue server on the switch NI's upstream side, offering `options`; returns its stop. */
async function rogueServer(node: E2eNode, name: string, options: DhcpOption[]) {
  const dnsmasq = await startUpstreamDnsmasq({
    netns: node.upstream(UPSTREAM_ROLE).ns,
    interface: "up0",
    dir: node.dir,
    name,
    network: "10.79.3.0",
    hosts: [APPS.switched.switch],
    options,
  });
  return dnsmasq.stop;
}

async function upstreamAddress(node: E2eNode): Promise<void> {
  const upstream = node.upstream(UPSTREAM_ROLE);
  await addAddr(systemRunner, upstream.ns, "up0", `${GW}/${SWITCH_NET.prefix}`, {
    ignoreExists: true,
  });
}

e2eTest(
  "e2e: a rogue DHCP server's hijacking or unusable leases are refused on ADD",
  {},
  async (ctx) => {
    const { node } = ctx;
    await upstreamAddress(node);
    const cases: [string, DhcpOption[], RegExp][] = [
      ["rogue-routes", [HIJACK], /route 10\.43\.0\.0\/17 overlaps 10\.43\.0\.0\/16/],
      [
        "rogue-gw",
        [{ option: "option:router", values: ["255.255.255.255"] }],
        /gateway 255\.255\.255\.255 is broadcast/,
      ],
      ["rogue-default", [{
        option: "option:classless-static-route",
        values: ["0.0.0.0/0", "255.255.255.255"],
      }], /via 255\.255\.255\.255 is broadcast/],
    ];
    for (const [name, options, why] of cases) {
      const stop = await rogueServer(node, name, options);
      try {
        const pod = await trackedPod(ctx, `p-${name}`, APPS.switched);
        const net1 = {
          ifname: "net1",
          conflist: node.nad(NI.switch.name),
          mac: APPS.switched.switch.mac,
        };
        const add = await cni(CNIDRIVE, node, "add", pod, net1);
        assert.notEqual(add.code, 0, `${name}: ADD should fail`);
        assert.match(add.stderr, /lease for net1 was refused/, add.stderr);
        assert.match(add.stderr, why, add.stderr);
        // Nothing applied: no pod interface, so none of the rogue's routes or addresses.
        assert.equal(await podLink(pod, "net1"), undefined);
        const routes = await podRoutes(pod);
        assert.ok(
          !routes.some((r) => r.includes("10.43.") || r.includes("255.255.255.255")),
          routes.join("\n"),
        );
        const del = await cni(CNIDRIVE, node, "del", pod, net1);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await findLeaks(node, ctx.pods), []);
      } finally {
        await stop();
      }
    }
  },
);

e2eTest(
  "e2e: a renewal from a server turned rogue is refused; the pod keeps its lease",
  {},
  async (ctx) => {
    const { node } = ctx;
    await upstreamAddress(node);
    let stop = await rogueServer(node, "honest", [{ option: "option:router", values: [GW] }]);
    try {
      const pod = await trackedPod(ctx, "pod1", APPS.switched);
      const attached = await attach(CNIDRIVE, node, pod, [
        eth0(node),
        netX(node, "net1", NI.switch.name, APPS.switched.switch.mac),
      ]);
      const address = `${APPS.switched.switch.ip}/24`;
      assert.deepEqual(await podAddresses(pod, "net1"), [address]);
      const before = await podRoutes(pod);
      await stop();
      stop = await rogueServer(node, "rogue", [{ option: "option:router", values: [GW] }, HIJACK]);
      const state = await attachmentState(node, pod, "net1");
      assert.ok(state?.dhcp);
      signalPid(state.dhcp.pid, "SIGUSR1"); // udhcpc renews now
      const refused = await eventuallyTrue(async () => {
        const log = await Deno.readTextFile(node.logFile).catch(() => "");
        return log.includes("Refused the DHCP server's lease");
      }, 15_000);
      assert.ok(refused, "the renewal's refusal is logged");
      assert.deepEqual(await podAddresses(pod, "net1"), [address]);
      assert.deepEqual(await podRoutes(pod), before, "no rogue route applied");
      await detach(CNIDRIVE, node, attached);
    } finally {
      await stop();
    }
  },
);
