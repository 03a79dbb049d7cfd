/**
 * A routing policy follows the pod's address: the reservation moves, udhcpc renews,
 * eve-bridge's hook moves the pod (lease_follow.ts) and applies the recorded policy again.
 * Read back from the kernel: the new address's rule replaces the old one, the table holds
 * the interface's routes again (main none), the node's neighbour entry names the new address.
 */
import assert from "node:assert/strict";
import { signalPid } from "../../netns/mod.ts";
import { APPS, attachmentState, CNIDRIVE, e2eConfig, e2eTest, NI, trackedPod } from "./harness.ts";
import { eventually } from "../poll.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { attach, checkAll, detach } from "./runtime.ts";
import {
  addPeer,
  conflistWithPolicy,
  permanentNeighbours,
  pingFrom,
  routeLines,
  ruleLines,
} from "./routing_harness.ts";

const NEW_IP = "10.78.1.70";
const POLICY = { migrateRoute: 1, neighbours: true, hijackSubnets: { service: ["10.43.0.0/16"] } };

e2eTest(
  "e2e: after a renewal moved the address, the routing policy follows it",
  {},
  async (ctx) => {
    const { node } = ctx;
    const peer = await addPeer(node, 1);
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const net1 = await conflistWithPolicy(node, node.nad(NI.local.name), "net1", POLICY, {
      alone: true,
    });
    const a = await attach(CNIDRIVE, node, pod, [
      { ifname: "eth0", conflist: node.primaryConflist },
      { ifname: "net1", conflist: net1, mac: APPS.nginx.local.mac },
    ]);
    const rule = (ip: string) => `1000: from ${ip} lookup 101`;
    assert.ok((await ruleLines(pod)).includes(rule(APPS.nginx.local.ip)));

    const config = e2eConfig();
    config.apps.find((x) => x.uuid === APPS.nginx.uuid)!.adapters[0]!.ip = NEW_IP;
    await node.reload(config);
    const client = (await attachmentState(node, pod, "net1"))?.dhcp?.pid;
    assert.ok(client && signalPid(client, "SIGUSR1"), "udhcpc renews now");
    await eventually("the policy to follow the new address", async () => {
      const rules = await ruleLines(pod);
      return rules.includes(rule(NEW_IP)) ? rules : undefined;
    }, 30_000);

    assert.deepEqual((await ruleLines(pod)).filter((r) => r.startsWith("1000:")), [rule(NEW_IP)]);
    assert.deepEqual(await routeLines(pod.netns, "101"), [
      "10.43.0.0/16 via 10.42.0.1 dev eth0",
      "10.78.1.0/24 dev net1",
      "default via 10.78.1.1 dev net1",
    ]);
    const main = await routeLines(pod.netns, "main");
    assert.ok(main.every((line) => line.endsWith("dev eth0")), main.join("\n"));
    assert.deepEqual(await permanentNeighbours(node.ns), [
      `${NEW_IP} ${NI.local.bridge} ${APPS.nginx.local.mac}`,
    ]);
    assert.equal(await pingFrom(peer, NEW_IP, 3), 3);
    await checkAll(CNIDRIVE, node, a);

    await detach(CNIDRIVE, node, a);
    assert.deepEqual(await permanentNeighbours(node.ns), []);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
