import assert from "node:assert/strict";
import { recordingRunner } from "../../netns/mod.ts";
import { applyL3, createPodVeth, sameSubnet, type VethFacts, vethProblems } from "./veth.ts";

const plan = {
  hostIfName: "nbu1x1",
  bridge: "bn1",
  podNetns: { name: "pod1" },
  podIfName: "net1",
  mac: "02:16:3e:00:00:01",
  mtu: 1400,
};

Deno.test("createPodVeth: one veth add with the pod end born in the pod netns", async () => {
  const runner = recordingRunner();
  await createPodVeth({ runner, host: undefined }, plan);
  const [add, ...rest] = runner.calls;
  // The exact argv is netns/'s business; what matters here is what we asked for: made from
  // inside the pod netns (no long-lived ip holds it open), the pod end with the adapter's
  // MAC, the host end sent to our own netns (named by our pid), both with the NI's MTU.
  const line = add!.join(" ");
  const [podEnd, hostEnd] = line.split(" type veth peer ");
  assert.match(podEnd!, /^ip -n pod1 link add (name )?net1 /);
  assert.match(podEnd!, / address 02:16:3e:00:00:01( |$)/);
  assert.match(podEnd!, / mtu 1400( |$)/);
  // Up from birth: no `link set up` inside the pod afterwards.
  assert.match(podEnd!, / up( |$)/);
  assert.match(hostEnd!, /^name nbu1x1 /);
  assert.match(hostEnd!, / mtu 1400 /);
  assert.match(hostEnd!, new RegExp(` netns ${Deno.pid}$`));
  const text = rest.map((argv) => argv.join(" "));
  assert.ok(text.includes("ip link set dev nbu1x1 master bn1"));
  // Both pod-side sysctls in one process, before the host end (and so the carrier) is up.
  const sysctl = text.findIndex((t) =>
    t.endsWith("net/ipv6/conf/net1/accept_dad=0 net/ipv4/conf/net1/arp_notify=1")
  );
  assert.ok(sysctl > 0, text.join("\n"));
  assert.ok(text.indexOf("ip link set dev nbu1x1 up") > sysctl);
  assert.ok(!text.includes("ip -n pod1 link set dev net1 up"));
  assert.equal(text.filter((t) => t.includes("sysctl")).length, 1);
});

Deno.test("createPodVeth: a pod without IPv6 gets arp_notify, accept_dad is skipped", async () => {
  const noIpv6 = (argv: readonly string[]) =>
    argv.some((a) => a.includes("net/ipv6/"))
      ? {
        code: 255,
        stdout: "",
        stderr:
          "sysctl: cannot stat /proc/sys/net/ipv6/conf/net1/accept_dad: No such file or directory\n",
      }
      : undefined;
  const runner = recordingRunner(noIpv6);
  await createPodVeth({ runner, host: undefined }, plan);
  const sysctls = runner.calls.map((argv) => argv.join(" ")).filter((t) => t.includes("sysctl"));
  assert.equal(sysctls.length, 3, "both at once, then one at a time");
  assert.ok(sysctls[2]!.endsWith(" net/ipv4/conf/net1/arp_notify=1"), sysctls.join("\n"));
  assert.ok(runner.calls.at(-1)!.join(" ") === "ip link set dev nbu1x1 up");
});

Deno.test("createPodVeth: a failure after the veth exists deletes it", async () => {
  const runner = recordingRunner((argv) =>
    argv.includes("master")
      ? { code: 1, stdout: "", stderr: 'Cannot find device "bn1"\n' }
      : undefined
  );
  await assert.rejects(createPodVeth({ runner, host: undefined }, plan), /bn1/);
  assert.deepEqual(runner.calls.at(-1), ["ip", "link", "del", "dev", "nbu1x1"]);
});

Deno.test("createPodVeth: a taken pod interface name is a clear error, nothing to undo", async () => {
  const runner = recordingRunner((argv) =>
    argv.includes("show")
      ? { code: 1, stdout: "", stderr: 'Device "nbu1x1" does not exist.\n' }
      : { code: 2, stdout: "", stderr: "RTNETLINK answers: File exists\n" }
  );
  await assert.rejects(
    createPodVeth({ runner, host: undefined }, plan),
    {
      message:
        'Cannot create pod interface "net1": an interface with that name already exists in the pod network namespace',
    },
  );
  assert.equal(runner.calls.length, 2, "the add, then a look for our own host end");
});

Deno.test("createPodVeth: an old veth of the adapter is replaced", async () => {
  let adds = 0;
  const runner = recordingRunner((argv) => {
    if (argv.includes("add") && adds++ === 0) {
      return { code: 2, stdout: "", stderr: "RTNETLINK answers: File exists\n" };
    }
    if (argv.includes("show")) {
      return {
        code: 0,
        stdout: JSON.stringify([{ ifindex: 9, ifname: "nbu1x1", mtu: 1400, flags: ["UP"] }]),
        stderr: "",
      };
    }
    return undefined;
  });
  await createPodVeth({ runner, host: undefined }, plan);
  const text = runner.calls.map((argv) => argv.join(" "));
  assert.ok(text[0]!.startsWith("ip -n pod1 link add"));
  assert.ok(text.includes("ip link del dev nbu1x1"));
  assert.ok(text[3]!.startsWith("ip -n pod1 link add"), "retried after the delete");
});

Deno.test("applyL3: addresses, an on-link route to an off-subnet gateway, then routes", async () => {
  const runner = recordingRunner();
  await applyL3({ runner, host: undefined }, { name: "pod1" }, "net1", {
    ips: [
      { address: "10.0.0.5/24", gateway: "10.0.0.1" },
      { address: "10.1.0.5/32", gateway: "10.1.9.1" },
    ],
    routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }, { dst: "10.43.0.0/16", gw: null }],
  });
  assert.deepEqual(runner.calls.map((argv) => argv.slice(3).join(" ")), [
    "addr add 10.0.0.5/24 dev net1",
    "addr add 10.1.0.5/32 dev net1",
    "route add 10.1.9.1/32 dev net1 scope link",
    "route add 0.0.0.0/0 via 10.0.0.1 dev net1",
    "route add 10.43.0.0/16 dev net1",
  ]);
});

Deno.test("sameSubnet: both families, by the address's prefix", () => {
  assert.ok(sameSubnet("10.0.0.5/24", "10.0.0.1"));
  assert.ok(!sameSubnet("10.0.0.5/24", "10.0.1.1"));
  assert.ok(!sameSubnet("10.1.0.5/32", "10.1.9.1"));
  assert.ok(sameSubnet("10.1.0.5/0", "192.168.1.1"));
  assert.ok(sameSubnet("fd00:1::5/64", "fd00:1::1"));
  assert.ok(sameSubnet("fd00:1::5/64", "fd00:1:0:0:ffff::1"));
  assert.ok(!sameSubnet("fd00:1::5/64", "fd00:2::1"), "off-subnet IPv6 gateway");
  assert.ok(!sameSubnet("fd00:1::5/128", "fd00:1::1"));
  assert.ok(sameSubnet("fd00:1::5/48", "fd00:1:0:ffff::1"));
  assert.ok(!sameSubnet("fd00:1::5/64", "fe80::1"), "link-local is not in a global subnet");
  // Across families nothing is inside (Go's IPNet.Contains): the gateway gets its route.
  assert.ok(!sameSubnet("10.0.0.5/24", "fd00::1"));
  assert.ok(!sameSubnet("fd00::5/64", "10.0.0.1"));
  assert.ok(sameSubnet("10.0.0.5/24", "::ffff:10.0.0.1"), "IPv4-mapped counts as IPv4");
});

Deno.test("applyL3: an off-subnet IPv6 gateway gets its link-scope host route", async () => {
  const runner = recordingRunner();
  await applyL3({ runner, host: undefined }, { name: "pod1" }, "net1", {
    ips: [
      { address: "fd00:1::5/64", gateway: "fd00:1::1" },
      { address: "fd00:2::5/64", gateway: "fd00:9::1" },
    ],
    routes: [{ dst: "::/0", gw: "fd00:9::1" }],
  });
  const lines = runner.calls.map((argv) => argv.join(" "));
  assert.deepEqual(
    lines.filter((l) => / scope link/.test(l)).map((l) => l.replace(/.* route /, "")),
    [
      "add fd00:9::1/128 dev net1 scope link",
    ],
  );
  assert.equal(lines.length, 4, lines.join("\n"));
});

Deno.test("vethProblems names each missing piece", () => {
  const good: VethFacts = {
    hostVeth: {
      present: true,
      master: "bn1",
      vlan: null,
      adminUp: true,
      operState: "UP",
      mtu: 1400,
      index: 7,
      peerIndex: 2,
    },
    podEnd: {
      netnsPresent: true,
      present: true,
      mac: plan.mac,
      adminUp: true,
      operState: "UP",
      mtu: 1400,
      addresses: ["10.0.0.5/24"],
      index: 2,
      peerIndex: 7,
    },
  };
  const expected = { ...plan, addresses: ["10.0.0.5/24"] };
  assert.deepEqual(vethProblems(good, expected), []);
  assert.deepEqual(
    vethProblems({
      hostVeth: { ...good.hostVeth, master: null, adminUp: false },
      podEnd: { ...good.podEnd, mac: "02:00:00:00:00:09", addresses: [] },
    }, expected),
    [
      'host veth "nbu1x1" is not a port of bridge "bn1"',
      'host veth "nbu1x1" is down',
      "pod interface MAC is 02:00:00:00:00:09, expected 02:16:3e:00:00:01",
      "address 10.0.0.5/24 is missing",
    ],
  );
  assert.deepEqual(
    vethProblems({ ...good, podEnd: { ...good.podEnd, netnsPresent: false } }, expected),
    ["the pod network namespace is gone"],
  );
  assert.deepEqual(
    vethProblems({
      hostVeth: { ...good.hostVeth, mtu: 1500 },
      podEnd: { ...good.podEnd, index: 3, peerIndex: 9 },
    }, expected),
    [
      'host veth "nbu1x1" has MTU 1500, expected 1400',
      'host veth "nbu1x1" and pod interface "net1" are not the two ends of one veth',
    ],
  );
});
