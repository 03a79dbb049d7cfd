/**
 * `routingPolicy` end to end, driven as kubelet + Multus drive it (libcni via cnidrive): an
 * EVE app pod with eth0 and one interface on each of two local network instances, each NAD
 * with `migrateRoute: 1`. A peer beyond each NI's gateway pings the pod's address on that NI,
 * and the pod's own counters say the replies left by the interface the echoes came in on;
 * rules, tables, hijack routes, rp_filter, neighbour entries (pod and node) and eth0's MAC
 * read back from the kernel; CHECK catches a rule removed by hand; DEL leaves nothing on the
 * node. Without the block (or with an empty one) the pod is attached exactly as before.
 */
import assert from "node:assert/strict";
import { execArgv, getLink, runChecked, systemRunner as run } from "../../netns/mod.ts";
import {
  APPS,
  CNIDRIVE,
  e2eConfig,
  e2eTest,
  NI,
  podAddresses,
  podLink,
  trackedPod,
} from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { POD_NETWORK, type ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { type Attachment, cni, type E2ePod } from "../../scripts/sandbox/pod.ts";
import { attach, checkAll, detach } from "./runtime.ts";
import {
  addPeer,
  conflistWithPolicy,
  permanentNeighbours,
  pingFrom,
  routeLines,
  rpFilter,
  ruleLines,
  shownPolicies,
  txPackets,
} from "./routing_harness.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";

const HIJACK = {
  overlay: ["10.42.0.0/16"],
  service: ["10.43.0.0/16"],
  additional: ["10.96.0.0/12", "fd00:96::/64"],
};
const NET1 = { ip: APPS.nginx.local.ip, gateway: "10.78.1.1", table: "101" };
const NET2 = { ip: APPS.nginx.local2.ip, gateway: "10.78.2.1", table: "102" };
const ECHOES = 5;

/** Both local NIs offer a default route, so each interface's table gets one. */
function config(): ZedrouterConfig {
  const c = e2eConfig();
  const local2 = c.networkInstances.find((ni) => ni.name === NI.local2.name)!;
  Object.assign(local2, { defaultRoute: true, dns: ["10.78.2.1"] });
  return c;
}

/**
 * eth0 + net1 (ni-local) + net2 (ni-local2), each conflist carrying `policies[ifname]`;
 * `alone`: the NADs as EVE ships them, eve-bridge without tuning chained after it.
 */
async function attachments(
  node: E2eNode,
  tag: string,
  policies: Record<string, Record<string, unknown> | undefined>,
  options: { alone?: boolean } = {},
): Promise<Attachment[]> {
  const conf = (path: string, ifname: string) =>
    conflistWithPolicy(node, path, `${tag}-${ifname}`, policies[ifname], options);
  return [
    { ifname: "eth0", conflist: await conf(node.primaryConflist, "eth0") },
    {
      ifname: "net1",
      conflist: await conf(node.nad(NI.local.name), "net1"),
      mac: APPS.nginx.local.mac,
    },
    {
      ifname: "net2",
      conflist: await conf(node.nad(NI.local2.name), "net2"),
      mac: APPS.nginx.local2.mac,
    },
  ];
}

/** Which pod interfaces sent the replies to `count` echoes from `peer` to `address`. */
async function repliesLeave(
  pod: E2ePod,
  send: () => Promise<number>,
): Promise<Map<string, number>> {
  const before = await txPackets(pod);
  const answered = await send();
  assert.equal(answered, ECHOES, "every echo is answered");
  const after = await txPackets(pod);
  return new Map([...after].map(([name, n]) => [name, n - (before.get(name) ?? 0)]));
}

const POLICY = {
  eth0: { neighbours: true, macPrefix: "0a:1b" },
  net1: { migrateRoute: 1, hijackSubnets: HIJACK, rpFilter: 2, neighbours: true },
  net2: { migrateRoute: 1, table: "auto", hijackSubnets: HIJACK, rpFilter: 1, neighbours: true },
};

e2eTest(
  "e2e: routingPolicy moves each NI's routes to its table; replies leave where requests came",
  {
    config: config(),
  },
  async (ctx) => {
    const { node } = ctx;
    const peer1 = await addPeer(node, 1);
    const peer2 = await addPeer(node, 2);
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const a = await attach(
      CNIDRIVE,
      node,
      pod,
      await attachments(node, "policy", POLICY, { alone: true }),
    );

    // Replies leave by the interface the echoes came in on (counted by the pod's kernel).
    const via1 = await repliesLeave(pod, () => pingFrom(peer1, NET1.ip, ECHOES));
    assert.ok(via1.get("net1")! >= ECHOES && via1.get("net2")! < ECHOES, JSON.stringify([...via1]));
    const via2 = await repliesLeave(pod, () => pingFrom(peer2, NET2.ip, ECHOES));
    assert.ok(via2.get("net2")! >= ECHOES && via2.get("net1")! < ECHOES, JSON.stringify([...via2]));

    // Main keeps only eth0's routes; each NI's routes sit in its own table, with eth0's hijack.
    const eth0Ip = (await podAddresses(pod, "eth0"))[0]!.split("/")[0]!;
    const main = await routeLines(pod.netns, "main");
    assert.ok(main.every((line) => line.endsWith("dev eth0")), main.join("\n"));
    const gw = POD_NETWORK.gateway;
    const hijack = ["10.42.0.0/16", "10.43.0.0/16", "10.96.0.0/12"];
    for (const dst of hijack) {
      assert.ok(main.includes(`${dst} via ${gw} dev eth0`), main.join("\n"));
    }
    for (const [ifname, ni] of [["net1", NET1], ["net2", NET2]] as const) {
      const table = await routeLines(pod.netns, ni.table);
      const subnet = `${ni.ip.replace(/\.\d+$/, ".0")}/24`;
      assert.deepEqual(
        table,
        [
          ...hijack.map((dst) => `${dst} via ${gw} dev eth0`),
          `${subnet} dev ${ifname}`,
          `default via ${ni.gateway} dev ${ifname}`,
        ].sort(),
        `table ${ni.table}`,
      );
    }
    assert.deepEqual((await ruleLines(pod)).filter((r) => r.startsWith("1000:")), [
      `1000: from ${NET1.ip} lookup ${NET1.table}`,
      `1000: from ${NET2.ip} lookup ${NET2.table}`,
    ]);
    assert.equal(await rpFilter(pod, "net1"), "2");
    assert.equal(await rpFilter(pod, "net2"), "1");

    // Neighbours both ways: each NI bridge <-> its pod interface, cni0 <-> eth0 (new MAC).
    const eth0Mac = (await podLink(pod, "eth0"))?.mac;
    assert.equal(
      eth0Mac,
      `0a:1b:${eth0Ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0")).join(":")}`,
    );
    assert.equal(a.results.get("eth0")?.interfaces?.find((i) => i.sandbox)?.mac, eth0Mac);
    const bridgeMac = async (name: string) => (await getLink(run, node.ns.ns, name))?.mac;
    assert.deepEqual(
      await permanentNeighbours(node.ns),
      [
        `${eth0Ip} ${POD_NETWORK.bridge} ${eth0Mac}`,
        `${NET1.ip} ${NI.local.bridge} ${APPS.nginx.local.mac}`,
        `${NET2.ip} ${NI.local2.bridge} ${APPS.nginx.local2.mac}`,
      ].sort(),
    );
    assert.deepEqual(
      await permanentNeighbours(pod.netns),
      [
        `${NET1.gateway} net1 ${await bridgeMac(NI.local.bridge)}`,
        `${NET2.gateway} net2 ${await bridgeMac(NI.local2.bridge)}`,
        `${gw} eth0 ${await bridgeMac(POD_NETWORK.bridge)}`,
      ].sort(),
    );

    // CHECK passes and eve-cni-debug shows each policy whole; both see a rule removed by hand.
    await checkAll(CNIDRIVE, node, a);
    const shown = await shownPolicies(node, pod);
    assert.deepEqual([...shown.links].map(([ifname, l]) => [ifname, l.status]).sort(), [
      ["eth0", "ok"],
      ["net1", "ok"],
      ["net2", "ok"],
    ]);
    assert.equal(shown.exitCode, 0);
    // What show says of each policy: table and source rule, hijack via eth0, rp_filter,
    // neighbour entries on both ends, eth0's MAC, and the IPv6 hijack it could not apply.
    const hijacked = `hijack ${hijack.join(" ")} via eth0`;
    const noV6 = "skipped: hijack fd00:96::/64: eth0 has no IPv6 gateway";
    const details = {
      eth0: `main table, neighbours 1 pod, 1 host, MAC ${eth0Mac}`,
      net1:
        `table 101 (from ${NET1.ip}/32), ${hijacked}, rp_filter 2, neighbours 1 pod, 1 host, ${noV6}`,
      net2:
        `table 102 (from ${NET2.ip}/32), ${hijacked}, rp_filter 1, neighbours 1 pod, 1 host, ${noV6}`,
    };
    for (const [ifname, detail] of Object.entries(details)) {
      assert.equal(shown.links.get(ifname)?.detail, detail, ifname);
      assert.ok(shown.text.includes(detail), shown.text);
    }
    await runChecked(
      run,
      execArgv(pod.netns.ns, ["ip", "rule", "del", "from", NET2.ip, "lookup", NET2.table]),
    );
    const check = await cni(CNIDRIVE, node, "check", pod, a.attachments[2]!);
    assert.notEqual(check.code, 0);
    assert.ok(
      check.stderr.includes(`Rule "from ${NET2.ip}/32 lookup 102 pref 1000" is missing`),
      check.stderr,
    );
    const broken = await shownPolicies(node, pod);
    assert.equal(broken.exitCode, 1);
    assert.deepEqual(broken.links.get("net2")?.problems, [
      `Rule "from ${NET2.ip}/32 lookup 102 pref 1000" is missing`,
    ]);

    await detach(CNIDRIVE, node, a);
    assert.deepEqual(await permanentNeighbours(node.ns), []);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);

/** The pod's routing state with eth0's own address (host-local's pick) written as ETH0. */
async function routingState(pod: E2ePod): Promise<string[]> {
  const eth0 = (await podAddresses(pod, "eth0"))[0]!.split("/")[0]!;
  const lines = [
    ...await routeLines(pod.netns),
    ...await ruleLines(pod),
    ...await permanentNeighbours(pod.netns),
  ];
  return lines.map((l) => l.replaceAll(eth0, "ETH0"));
}

e2eTest("e2e: without routingPolicy, or with an empty one, the pod is attached as before", {
  config: config(),
}, async (ctx) => {
  const { node } = ctx;
  const peer2 = await addPeer(node, 2);
  const plain = await trackedPod(ctx, "pod1", APPS.nginx);
  const p = await attach(CNIDRIVE, node, plain, await attachments(node, "plain", {}));
  const before = await routingState(plain);
  assert.ok(before.includes(`default via ${NET1.gateway} dev net1`), before.join("\n"));
  assert.deepEqual(before.filter((l) => / from .* lookup /.test(l) && !l.includes("from all")), []);
  // The asymmetry the policy is for: echoes to net2's address are answered by way of net1.
  const via = await repliesLeave(plain, () => pingFrom(peer2, NET2.ip, ECHOES));
  assert.ok(via.get("net1")! >= ECHOES, JSON.stringify([...via]));
  assert.equal(await rpFilter(plain, "net1"), await rpFilter(plain, "default"), "untouched");
  await checkAll(CNIDRIVE, node, p);
  await detach(CNIDRIVE, node, p);

  const empty = await trackedPod(ctx, "pod2", APPS.nginx);
  const e = await attach(
    CNIDRIVE,
    node,
    empty,
    await attachments(node, "empty", { eth0: {}, net1: {}, net2: {} }),
  );
  assert.deepEqual(await routingState(empty), before);
  await checkAll(CNIDRIVE, node, e);
  await detach(CNIDRIVE, node, e);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});

e2eTest(
  "e2e: a MAC set after eve-bridge (tuning) drops the pod's neighbour entries; CHECK says so",
  {
    config: config(),
  },
  async (ctx) => {
    // tuning, chained after eve-bridge, sets the MAC Multus passes (the same one), and the
    // kernel flushes every neighbour entry of an interface whose address is set, permanent
    // ones included: the node-side entry stays, the pod-side one is gone, and CHECK reports it.
    const { node } = ctx;
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const all = await attachments(node, "tuned", { net1: { neighbours: true } });
    const a = await attach(CNIDRIVE, node, pod, all.slice(0, 2));
    assert.deepEqual(await permanentNeighbours(pod.netns), []);
    assert.deepEqual(await permanentNeighbours(node.ns), [
      `${NET1.ip} ${NI.local.bridge} ${APPS.nginx.local.mac}`,
    ]);
    const check = await cni(CNIDRIVE, node, "check", pod, a.attachments[1]!);
    assert.notEqual(check.code, 0);
    assert.ok(
      check.stderr.includes(`Pod neighbour ${NET1.gateway} on "net1" is missing`),
      check.stderr,
    );
    await detach(CNIDRIVE, node, a);
    assert.deepEqual(await permanentNeighbours(node.ns), []);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);

e2eTest(
  "e2e: net1 keeps the main table, net2 moves: net2's table has the default route main refused",
  { config: config() },
  async (ctx) => {
    // zedrouter adds each NI's default route to main, where only net1's fits: the table of a
    // moved net2 gets the lease's routes anyway, so its replies still leave by net2.
    const { node } = ctx;
    const peer2 = await addPeer(node, 2);
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const policies = { net2: { migrateRoute: 1 } };
    const a = await attach(
      CNIDRIVE,
      node,
      pod,
      await attachments(node, "second", policies, { alone: true }),
    );
    const main = await routeLines(pod.netns, "main");
    assert.ok(main.includes(`default via ${NET1.gateway} dev net1`), main.join("\n"));
    assert.ok(!main.some((line) => line.endsWith("dev net2")), main.join("\n"));
    assert.deepEqual(await routeLines(pod.netns, NET2.table), [
      "10.78.2.0/24 dev net2",
      `default via ${NET2.gateway} dev net2`,
    ]);
    const via = await repliesLeave(pod, () => pingFrom(peer2, NET2.ip, ECHOES));
    assert.ok(via.get("net2")! >= ECHOES && via.get("net1")! < ECHOES, JSON.stringify([...via]));
    await checkAll(CNIDRIVE, node, a);
    await detach(CNIDRIVE, node, a);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
