import assert from "node:assert/strict";
import * as v from "valibot";
import { toBatchCommand } from "./ip_pool_line.ts";
import { BatchWordSchema } from "./_validate.ts";
import { execArgv, ipArgv } from "./target.ts";

Deno.test("toBatchCommand: our netns's ip commands become plain lines", () => {
  assert.deepEqual(toBatchCommand(ipArgv(undefined, ["-j", "-d", "link", "show", "dev", "bn1"])), {
    words: ["link", "show", "dev", "bn1"],
    netnsName: null,
    read: true,
    inNetns: null,
  });
  assert.deepEqual(toBatchCommand(["ip", "link", "set", "dev", "nbu1x1", "master", "bn1"]), {
    words: ["link", "set", "dev", "nbu1x1", "master", "bn1"],
    netnsName: null,
    read: false,
    inNetns: null,
  });
  assert.deepEqual(
    toBatchCommand(["ip", "-j", "addr", "add", "10.0.0.1/24", "dev", "bn1"])?.words,
    [
      "addr",
      "add",
      "10.0.0.1/24",
      "dev",
      "bn1",
    ],
  );
  // After any `link show` (the marker is one), iproute2's batch mode lists no addresses.
  assert.equal(toBatchCommand(["ip", "-j", "addr", "show", "dev", "bn1"]), undefined);
});

Deno.test("toBatchCommand: a named netns becomes netns exec, for ip and for sysctl", () => {
  assert.deepEqual(toBatchCommand(ipArgv({ name: "cni-1" }, ["-j", "-d", "link", "show"])), {
    words: ["netns", "exec", "cni-1", "ip", "-j", "-d", "link", "show"],
    netnsName: "cni-1",
    read: true,
    inNetns: ["link", "show"],
  });
  // An ip already inside prints JSON, and lists no addresses once it has shown a link.
  const inside = (args: string[]) => toBatchCommand(ipArgv({ name: "cni-1" }, args))?.inNetns;
  assert.deepEqual(inside(["link", "set", "dev", "net1", "up"]), [
    "link",
    "set",
    "dev",
    "net1",
    "up",
  ]);
  assert.equal(inside(["link", "show"]), null);
  assert.equal(inside(["-j", "addr", "show", "dev", "net1"]), null);
  assert.deepEqual(toBatchCommand(ipArgv({ name: "cni-1" }, ["-j", "addr", "show"]))?.words, [
    "netns",
    "exec",
    "cni-1",
    "ip",
    "-j",
    "addr",
    "show",
  ]);
  const sysctl = execArgv({ name: "cni-1" }, [
    "sysctl",
    "-q",
    "-w",
    "net/ipv6/conf/net1/accept_dad=0",
  ]);
  assert.equal(toBatchCommand(sysctl)?.read, false);
  assert.equal(toBatchCommand(sysctl)?.inNetns, null);
  assert.equal(toBatchCommand(execArgv({ name: "cni-1" }, ["sysctl", "-n", "k"]))?.read, true);
  assert.deepEqual(toBatchCommand(sysctl)?.words, [
    "netns",
    "exec",
    "cni-1",
    "sysctl",
    "-q",
    "-w",
    "net/ipv6/conf/net1/accept_dad=0",
  ]);
});

Deno.test("toBatchCommand: what a batch line cannot carry exactly is left to a spawn", () => {
  const spawned = [
    // Words ip's line splitter would change: white space, quotes, '#', backslash.
    ["ip", "link", "set", "dev", "a#b", "up"],
    ["ip", "link", "set", "dev", "'net1", "up"],
    ["ip", "link", "set", "dev", 'a"b', "up"],
    ["ip", "link", "set", "dev", "a\\", "up"],
    ["ip", "link", "set", "dev", "a\tb", "up"],
    ["ip", "link", "set", "dev", "", "up"],
    // A host read without -j would get JSON instead of the text it asked for.
    ["ip", "link", "show"],
    // Other options, objects and verbs, other programs, namespaces by path.
    ["ip", "-6", "route", "show"],
    ["ip", "-batch", "-"],
    ["ip", "netns", "add", "x"],
    ["ip", "route", "get", "127.0.0.1"],
    ["ip", "-n", "bad name", "link", "show"],
    ["nsenter", "--net=/proc/42/ns/net", "ip", "link", "show"],
    ["nsenter", "--net=/var/run/netns/cni-1", "udhcpc", "-i", "net1"],
    ["nsenter", "--net=/var/run/netns/cni-1", "sysctl", "-p", "/etc/sysctl.conf"],
    ["nsenter", "--net=/var/run/netns/cni-1", "ip", "-n", "other", "link", "show"],
    ["sysctl", "-w", "net.ipv4.ip_forward=1"],
    ["dnsmasq", "--test"],
    ["ip", "link", "add", "name", "x", ...Array.from({ length: 100 }, () => "up")],
  ];
  for (const argv of spawned) {
    assert.equal(toBatchCommand(argv), undefined, JSON.stringify(argv));
  }
});

Deno.test("BatchWordSchema: each word is one word to ip's line splitter", () => {
  for (const ok of ["net1", "02:16:3e:00:00:01", "10.1.2.3/24", "/var/run/netns/cni-1", "é0"]) {
    assert.ok(v.is(BatchWordSchema, ok), ok);
  }
  for (const bad of ["", "a b", "a\nb", "a\0b", "#x", "x#", '"x', "x'", "x\\", "\x7f"]) {
    assert.ok(!v.is(BatchWordSchema, bad), JSON.stringify(bad));
  }
});
