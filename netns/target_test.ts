/**
 * argv building for namespaces, and the promise that hostile names never reach a shell:
 * either they are rejected by validation or they travel as one argv element.
 */
import assert from "node:assert/strict";
import { execArgv, ipArgv, netnsPath } from "./target.ts";
import { recordingRunner } from "./runner.ts";
import { addAddr } from "./addresses.ts";
import { addRoute } from "./routes.ts";
import { createVethPair, deleteLink, ensureBridge, setMaster } from "./links.ts";
import { interfaceSysctlKey, setSysctl } from "./sysctl.ts";
import { createNetns } from "./namespaces.ts";

Deno.test("ipArgv: ip -n for names, nsenter for paths, plain ip for the current netns", () => {
  assert.deepEqual(ipArgv({ name: "pod1" }, ["link"]), ["ip", "-n", "pod1", "link"]);
  assert.deepEqual(ipArgv({ path: "/proc/42/ns/net" }, ["link"]), [
    "nsenter",
    "--net=/proc/42/ns/net",
    "ip",
    "link",
  ]);
  assert.deepEqual(ipArgv(undefined, ["link"]), ["ip", "link"]);
  assert.deepEqual(execArgv({ name: "pod1" }, ["sysctl", "-n", "k"]), [
    "nsenter",
    "--net=/var/run/netns/pod1",
    "sysctl",
    "-n",
    "k",
  ]);
  assert.equal(netnsPath({ name: "pod1" }), "/var/run/netns/pod1");
  assert.equal(netnsPath({ path: "/proc/1/ns/net" }), "/proc/1/ns/net");
});

Deno.test("hostile namespace names and paths are rejected before anything runs", () => {
  assert.throws(() => ipArgv({ name: "../etc" }, ["link"]), /Invalid network namespace name/);
  assert.throws(() => ipArgv({ name: "a b" }, ["link"]), /Invalid network namespace name/);
  assert.throws(() => ipArgv({ name: "-n" }, ["link"]), /Invalid network namespace name/);
  assert.throws(() => ipArgv({ path: "relative/ns" }, ["link"]), /must be absolute/);
  assert.throws(() => ipArgv({ path: "/var/run/netns/../../x" }, ["link"]), /"\.\."/);
  assert.throws(() => execArgv({ path: "/x\n/y" }, ["true"]), /newline/);
});

Deno.test("hostile interface names: rejected when invalid, one argv element when valid", async () => {
  const runner = recordingRunner();
  const pod = { name: "pod1" };
  // Valid for the kernel (no "/", ":" or white space), so it must pass through untouched.
  const odd = "$(reboot)";
  await createVethPair(runner, pod, { hostName: odd, peerName: "`id`", peerNetns: { name: "p2" } });
  assert.deepEqual(runner.calls[0], [
    "ip",
    "-n",
    "pod1",
    "link",
    "add",
    "name",
    "$(reboot)",
    "type",
    "veth",
    "peer",
    "name",
    "`id`",
    "netns",
    "/var/run/netns/p2",
  ]);
  assert.ok(runner.calls.every((argv) => argv[0] !== "sh" && argv[0] !== "/bin/sh"));

  const rejects = async (p: () => Promise<unknown>, re: RegExp) => {
    await assert.rejects(p(), re);
  };
  await rejects(() => deleteLink(runner, pod, "a; reboot"), /white space/);
  await rejects(() => deleteLink(runner, pod, "net1/../x"), /"\/"/);
  await rejects(() => deleteLink(runner, pod, "averyveryverylongname"), /at most 15 bytes/);
  await rejects(() => deleteLink(runner, pod, ""), /must not be empty/);
  await rejects(() => setMaster(runner, pod, "net1", "br:0"), /Invalid bridge name/);
  await rejects(() => ensureBridge(runner, pod, ".."), /Invalid bridge name/);
  await rejects(
    () =>
      createVethPair(runner, pod, { hostName: "h", peerName: "p", peerNetns: pod, peerMac: "zz" }),
    /Invalid peer MAC/,
  );
  await rejects(
    () => createVethPair(runner, pod, { hostName: "h", peerName: "p", peerNetns: pod, mtu: 10 }),
    /Invalid MTU 10/,
  );
  await rejects(() => addAddr(runner, pod, "net1", "10.0.0.1/24 dev lo"), /Invalid address/);
  await rejects(
    () => addRoute(runner, pod, { dst: "default", via: "1.2.3.4 table 5", dev: "net1" }),
    /Invalid route gateway/,
  );
  await rejects(() => createNetns(runner, "x;y"), /Invalid network namespace name/);
  assert.equal(runner.calls.length, 1, "nothing ran for rejected input");
});

Deno.test("sysctl keys: interface names validated, slash form keeps dots in names", async () => {
  assert.equal(
    interfaceSysctlKey("ipv6", "eth0.100", "accept_dad"),
    "net/ipv6/conf/eth0.100/accept_dad",
  );
  assert.throws(() => interfaceSysctlKey("ipv6", "a=b", "accept_dad"), /contains "="/);
  assert.throws(() => interfaceSysctlKey("ipv6", "a b", "accept_dad"), /white space/);
  assert.throws(() => interfaceSysctlKey("ipv6", "net1", "x=1"), /Invalid sysctl leaf/);
  const runner = recordingRunner();
  await setSysctl(runner, { name: "pod1" }, "net.ipv4.ip_forward", 1);
  await setSysctl(
    runner,
    { path: "/proc/9/ns/net" },
    interfaceSysctlKey("ipv4", "n.1", "arp_notify"),
    "1",
  );
  assert.deepEqual(runner.calls, [
    ["nsenter", "--net=/var/run/netns/pod1", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
    ["nsenter", "--net=/proc/9/ns/net", "sysctl", "-q", "-w", "net/ipv4/conf/n.1/arp_notify=1"],
  ]);
  await assert.rejects(setSysctl(runner, undefined, "kernel.x=1 -w y", 1), /Invalid sysctl key/);
  await assert.rejects(setSysctl(runner, undefined, "net..x", 1), /Invalid sysctl key/);
  await assert.rejects(setSysctl(runner, undefined, "net/ipv4/conf/a b/x", 1), /white space/);
  await assert.rejects(setSysctl(runner, undefined, "net.ipv4.ip_forward", "1\n"), /printable/);
  assert.equal(runner.calls.length, 2);
});
