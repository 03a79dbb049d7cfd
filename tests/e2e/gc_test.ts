/**
 * CNI 1.1 GC as a runtime (containerd 2.x) sends it: once per NETWORK, listing the
 * attachments of that network still in use (`cni.dev/valid-attachments`). eve-bridge must
 * release that network's stale attachments and nothing of other networks, although all NADs
 * share one state dir. libcni 1.1.2 has no GC, so the built plugin is invoked directly with
 * the CNI environment, inside the node namespace.
 */
import assert from "node:assert/strict";
import { isAlive, listBridgePorts, systemRunner } from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  e2eTest,
  NI,
  podAddresses,
  trackedPod,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { EVE_BRIDGE } from "../../scripts/sandbox/paths.ts";
import { type E2ePod } from "../../scripts/sandbox/pod.ts";
import { attach, detach, netX } from "./runtime.ts";
import { conflistWithPolicy, permanentNeighbours, ruleLines } from "./routing_harness.ts";

/** GC of one NAD's network, as the runtime sends it (its conflist's first plugin at 1.1.0). */
async function gc(
  node: E2eNode,
  niName: string,
  valid: { pod: E2ePod; ifname: string }[],
): Promise<{ code: number; stdout: string }> {
  const conflist = JSON.parse(await Deno.readTextFile(node.nad(niName)));
  const config = {
    ...conflist.plugins[0],
    cniVersion: "1.1.0",
    name: conflist.name,
    "cni.dev/valid-attachments": valid.map((v) => ({
      containerID: v.pod.containerId,
      ifname: v.ifname,
    })),
  };
  const child = new Deno.Command("nsenter", {
    args: [`--net=${node.ns.path}`, EVE_BRIDGE],
    env: { CNI_COMMAND: "GC", CNI_PATH: node.cniPath, PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(config)));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

e2eTest("e2e: GC of one network releases its stale attachments and no other network's", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const nginx = await trackedPod(ctx, "pod1", APPS.nginx);
  const redis = await trackedPod(ctx, "pod2", APPS.redis);
  // nginx: net1 on ni-local, net2 on ni-local2; redis: net1 on ni-local.
  const a = await attach(CNIDRIVE, node, nginx, [
    netX(node, "net1", NI.local.name, APPS.nginx.local.mac),
    netX(node, "net2", NI.local2.name, APPS.nginx.local2.mac),
  ]);
  const b = await attach(CNIDRIVE, node, redis, [
    netX(node, "net1", NI.local.name, APPS.redis.local.mac),
  ]);
  const nginxNet2Client = (await attachmentState(node, nginx, "net2"))?.dhcp?.pid;
  const redisClient = (await attachmentState(node, redis, "net1"))?.dhcp?.pid;

  // The runtime's GC of ni-local: only nginx's net1 is still valid there (redis is gone).
  const r = await gc(node, NI.local.name, [{ pod: nginx, ifname: "net1" }]);
  assert.equal(r.code, 0, r.stdout);

  assert.ok(!isAlive(redisClient!), "redis' stale attachment on ni-local is released");
  assert.equal(await attachmentState(node, redis, "net1"), undefined);
  assert.deepEqual(await podAddresses(nginx, "net1"), [`${APPS.nginx.local.ip}/24`]);
  // ni-local2 was not part of this GC: nginx's net2 must be untouched.
  assert.ok((await attachmentState(node, nginx, "net2"))?.dhcp, "net2's record is kept");
  assert.ok(isAlive(nginxNet2Client!), "net2's DHCP client still runs");
  assert.deepEqual(await podAddresses(nginx, "net2"), [`${APPS.nginx.local2.ip}/24`]);
  assert.equal(
    (await listBridgePorts(systemRunner, node.ns.ns, NI.local2.bridge)).length,
    1,
    "net2's veth is still on ni-local2's bridge",
  );

  await detach(CNIDRIVE, node, a);
  await detach(CNIDRIVE, node, b);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});

e2eTest("e2e: GC of a stale attachment with a routingPolicy removes its node entries", {}, async (
  ctx,
) => {
  // The pod went without a DEL: what its policy put outside the pod (the node's neighbour
  // entry for its address) must go with the GC, and its source rule while the netns is there.
  const { node } = ctx;
  const redis = await trackedPod(ctx, "pod1", APPS.redis);
  const policy = { migrateRoute: 1, neighbours: true };
  const conflist = await conflistWithPolicy(node, node.nad(NI.local.name), "gc-net1", policy, {
    alone: true,
  });
  const b = await attach(CNIDRIVE, node, redis, [
    { ifname: "net1", conflist, mac: APPS.redis.local.mac },
  ]);
  const entry = `${APPS.redis.local.ip} ${NI.local.bridge} ${APPS.redis.local.mac}`;
  assert.deepEqual(await permanentNeighbours(node.ns), [entry]);
  assert.ok((await ruleLines(redis)).includes(`1000: from ${APPS.redis.local.ip} lookup 101`));

  const r = await gc(node, NI.local.name, []);
  assert.equal(r.code, 0, r.stdout);
  assert.deepEqual(await permanentNeighbours(node.ns), []);
  assert.deepEqual((await ruleLines(redis)).filter((l) => l.startsWith("1000:")), []);
  assert.equal(await attachmentState(node, redis, "net1"), undefined);
  await detach(CNIDRIVE, node, b);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
