/** Root tests: links, addresses, routes and sysctls in real evetest-* namespaces, read back. */
import assert from "node:assert/strict";
import {
  addAddr,
  addRoute,
  CommandError,
  createVethPair,
  delAddr,
  deleteLink,
  delRoute,
  ensureBridge,
  getLink,
  getSysctl,
  interfaceSysctlKey,
  listAddrs,
  listBridgePorts,
  listLinks,
  listNeighbours,
  listRoutes,
  listRules,
  netnsExists,
  netnsInode,
  runChecked,
  setLinkDown,
  setLinkUp,
  setMac,
  setMaster,
  setMtu,
  setSysctl,
  systemRunner as run,
} from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";

sandboxTest("veth pair across two namespaces: pod end born in the pod netns", [], async (sb) => {
  const node = await sb.netns("node");
  const pod = await sb.netns("pod");
  await ensureBridge(run, node.ns, "bn1", { mtu: 1400 });
  await createVethPair(run, node.ns, {
    hostName: "nbu1x1",
    peerName: "net1",
    peerNetns: pod.ns,
    peerMac: "02:16:3E:00:00:01",
    mtu: 1400,
  });
  await setMaster(run, node.ns, "nbu1x1", "bn1");
  await setLinkUp(run, node.ns, "nbu1x1");
  await setLinkUp(run, pod.ns, "net1");

  const host = await getLink(run, node.ns, "nbu1x1");
  const peer = await getLink(run, pod.ns, "net1");
  assert.ok(host && peer);
  assert.equal(host.kind, "veth");
  assert.equal(host.master, "bn1");
  assert.equal(host.mtu, 1400);
  assert.equal(host.adminUp, true);
  assert.equal(peer.kind, "veth");
  assert.equal(peer.mac, "02:16:3e:00:00:01");
  assert.equal(peer.mtu, 1400, "the peer gets the MTU too, not only the host end");
  assert.equal(peer.adminUp, true);
  assert.equal(peer.operState, "UP");
  // Each end names the other by ifindex across the namespace boundary.
  assert.equal(host.peerIndex, peer.index);
  assert.equal(peer.peerIndex, host.index);
  assert.notEqual(host.linkNetnsId, null);
  // The pod end never appeared in the node netns.
  assert.equal(await getLink(run, node.ns, "net1"), undefined);

  const ports = await listBridgePorts(run, node.ns, "bn1");
  assert.deepEqual(ports.map((l) => l.name), ["nbu1x1"]);
  const bridge = await getLink(run, node.ns, "bn1");
  assert.equal(bridge?.kind, "bridge");
  assert.equal(bridge?.mtu, 1400);

  // A path target (as a runtime hands us /proc/<pid>/ns/net) reads the same namespace.
  const viaPath = await listLinks(run, { path: pod.path });
  assert.ok(viaPath.some((l) => l.name === "net1"));
  assert.equal(await netnsExists(pod.path), true);
  assert.equal(await netnsInode(pod.path), await netnsInode(`/var/run/netns/${pod.name}`));
  assert.notEqual(await netnsInode(pod.path), await netnsInode(node.path));
  assert.equal(await netnsExists(`${sb.dir}/missing`), false);
  // A plain file (what a netns name leaves behind once its bind mount is gone) is no netns.
  await Deno.writeTextFile(`${sb.dir}/stale`, "");
  assert.equal(await netnsExists(`${sb.dir}/stale`), false);

  // Attribute changes read back.
  await setMtu(run, pod.ns, "net1", 1300);
  await setMac(run, pod.ns, "net1", "02:16:3e:00:00:99");
  await setLinkDown(run, pod.ns, "net1");
  const changed = await getLink(run, pod.ns, "net1");
  assert.equal(changed?.mtu, 1300);
  assert.equal(changed?.mac, "02:16:3e:00:00:99");
  assert.equal(changed?.adminUp, false);

  // Deleting the host end removes both ends; deleting again is success.
  await deleteLink(run, node.ns, "nbu1x1");
  assert.equal(await getLink(run, pod.ns, "net1"), undefined);
  await deleteLink(run, node.ns, "nbu1x1");
});

sandboxTest("ensureBridge is idempotent and refuses a non-bridge of that name", [], async (sb) => {
  const node = await sb.netns("node");
  const first = await ensureBridge(run, node.ns, "bn2");
  const second = await ensureBridge(run, node.ns, "bn2", { mtu: 1450 });
  assert.equal(first.index, second.index);
  assert.equal(second.mtu, 1450);
  assert.equal(second.adminUp, true);
  const pod = await sb.netns("pod");
  await createVethPair(run, node.ns, { hostName: "vx", peerName: "vy", peerNetns: pod.ns });
  await assert.rejects(ensureBridge(run, node.ns, "vx"), /a veth link has that name/);
});

sandboxTest("command errors are classified from stderr", [], async (sb) => {
  const node = await sb.netns("node");
  const pod = await sb.netns("pod");
  await createVethPair(run, node.ns, { hostName: "h1", peerName: "p1", peerNetns: pod.ns });
  const exists = await createVethPair(run, node.ns, {
    hostName: "h1",
    peerName: "p2",
    peerNetns: pod.ns,
  }).catch((e) => e);
  assert.ok(exists instanceof CommandError);
  assert.equal(exists.kind, "exists");
  assert.equal(exists.argv[0], "ip");
  assert.match(
    exists.message,
    /^Command "ip -n evetest-\S+ link add name h1 .*" failed \(exit 2\): /,
  );

  const missing = await setLinkUp(run, node.ns, "nope0").catch((e) => e);
  assert.ok(missing instanceof CommandError);
  assert.equal(missing.kind, "not-found");
  assert.match(missing.stderr, /Cannot find device "nope0"/);

  const other = await runChecked(run, [
    "ip",
    "-n",
    node.name,
    "link",
    "add",
    "x",
    "type",
    "nosuchkind",
  ])
    .catch((e) => e);
  assert.ok(other instanceof CommandError);
  assert.equal(other.kind, "other");

  // A namespace that does not exist.
  const noNs = await listLinks(run, { name: `${sb.prefix}-absent` }).catch((e) => e);
  assert.ok(noNs instanceof CommandError);
  assert.equal(noNs.kind, "not-found");
});

sandboxTest("addresses and routes: add, EEXIST tolerated on request, delete", [], async (sb) => {
  const node = await sb.netns("node");
  const pod = await sb.netns("pod");
  await createVethPair(run, node.ns, { hostName: "h1", peerName: "net1", peerNetns: pod.ns });
  await setLinkUp(run, node.ns, "h1");
  await setLinkUp(run, pod.ns, "net1");

  await addAddr(run, pod.ns, "net1", "10.77.0.5/24");
  await addAddr(run, pod.ns, "net1", "10.77.0.5/24", { ignoreExists: true });
  const dup = await addAddr(run, pod.ns, "net1", "10.77.0.5/24").catch((e) => e);
  assert.ok(dup instanceof CommandError && dup.kind === "exists", String(dup));
  await addAddr(run, pod.ns, "net1", "fd00:77::5/64");
  const addrs = await listAddrs(run, pod.ns, "net1");
  const v4 = addrs.filter((a) => a.family === "inet");
  assert.deepEqual(v4, [{ ifname: "net1", cidr: "10.77.0.5/24", family: "inet", scope: "global" }]);
  assert.ok(addrs.some((a) => a.cidr === "fd00:77::5/64" && a.family === "inet6"));

  // Gateway outside the subnet: link-scope host route first, then the default via it.
  await addRoute(run, pod.ns, { dst: "10.88.0.1/32", dev: "net1", scope: "link" });
  await addRoute(run, pod.ns, { dst: "default", via: "10.88.0.1", dev: "net1" });
  await addRoute(run, pod.ns, { dst: "10.99.0.0/16", via: "10.77.0.1", dev: "net1", metric: 50 });
  await addRoute(run, pod.ns, { dst: "default", via: "10.88.0.1", dev: "net1" }, {
    ignoreExists: true,
  });
  const dupRoute = await addRoute(run, pod.ns, { dst: "default", via: "10.88.0.1", dev: "net1" })
    .catch((e) => e);
  assert.ok(dupRoute instanceof CommandError && dupRoute.kind === "exists", String(dupRoute));

  const routes = await listRoutes(run, pod.ns, { family: "inet" });
  const byDst = new Map(routes.map((r) => [r.dst, r]));
  assert.equal(byDst.get("default")?.gateway, "10.88.0.1");
  assert.equal(byDst.get("default")?.dev, "net1");
  assert.equal(byDst.get("10.88.0.1/32")?.scope, "link");
  assert.equal(byDst.get("10.99.0.0/16")?.metric, 50);
  assert.equal(byDst.get("10.77.0.0/24")?.protocol, "kernel");

  await delRoute(run, pod.ns, { dst: "10.99.0.0/16", via: "10.77.0.1", dev: "net1", metric: 50 });
  await delRoute(run, pod.ns, { dst: "10.99.0.0/16", via: "10.77.0.1", dev: "net1", metric: 50 });
  assert.ok(!(await listRoutes(run, pod.ns)).some((r) => r.dst === "10.99.0.0/16"));

  const all = await listRoutes(run, pod.ns, { table: "all", family: "inet" });
  assert.ok(all.some((r) => r.table === "local" && r.dst === "10.77.0.5/32"));
  const rules = await listRules(run, pod.ns);
  assert.deepEqual(rules.map((r) => r.table), ["local", "main", "default"]);

  // Neighbours: ping the node end so the pod learns its MAC.
  await addAddr(run, node.ns, "h1", "10.77.0.1/24");
  const ping = await sb.exec(pod, ["ping", "-c", "1", "-W", "2", "10.77.0.1"]);
  assert.equal(ping.code, 0, ping.stderr);
  const hostMac = (await getLink(run, node.ns, "h1"))?.mac;
  const neigh = await listNeighbours(run, pod.ns, "net1");
  assert.ok(neigh.some((n) => n.ip === "10.77.0.1" && n.mac === hostMac), JSON.stringify(neigh));

  await delAddr(run, pod.ns, "net1", "10.77.0.5/24");
  await delAddr(run, pod.ns, "net1", "10.77.0.5/24");
  assert.ok(!(await listAddrs(run, pod.ns, "net1")).some((a) => a.cidr === "10.77.0.5/24"));
});

sandboxTest("sysctls are set inside the namespace only", ["sysctl"], async (sb) => {
  const pod = await sb.netns("pod");
  const node = await sb.netns("node");
  await createVethPair(run, node.ns, { hostName: "h1", peerName: "net1", peerNetns: pod.ns });
  const key = interfaceSysctlKey("ipv6", "net1", "accept_dad");
  await setSysctl(run, pod.ns, key, 0);
  assert.equal(await getSysctl(run, pod.ns, key), "0");
  await setSysctl(run, pod.ns, interfaceSysctlKey("ipv4", "net1", "arp_notify"), "1");
  assert.equal(await getSysctl(run, { path: pod.path }, "net.ipv4.conf.net1.arp_notify"), "1");
  // The same key in another namespace is untouched.
  // (New namespaces inherit IPv4 settings from the host, so flip whatever is there.)
  const nodeBefore = await getSysctl(run, node.ns, "net.ipv4.ip_forward");
  const flipped = nodeBefore === "1" ? "0" : "1";
  await setSysctl(run, pod.ns, "net.ipv4.ip_forward", flipped);
  assert.equal(await getSysctl(run, pod.ns, "net.ipv4.ip_forward"), flipped);
  assert.equal(await getSysctl(run, node.ns, "net.ipv4.ip_forward"), nodeBefore);
  const missing = await getSysctl(run, pod.ns, interfaceSysctlKey("ipv6", "nope0", "accept_dad"))
    .catch((e) => e);
  assert.ok(missing instanceof CommandError && missing.kind === "not-found", String(missing));
});
