import assert from "node:assert/strict";
import { createVethPairFromPeer } from "./links.ts";
import { recordingRunner } from "./runner.ts";

Deno.test("createVethPairFromPeer: run in the peer's netns, ours named by pid, names one argv each", async () => {
  const runner = recordingRunner();
  await createVethPairFromPeer(runner, undefined, {
    hostName: "$(reboot)",
    peerName: "net1",
    peerNetns: { name: "cni-1" },
    peerMac: "02:16:3E:00:00:01",
    mtu: 1400,
  });
  await createVethPairFromPeer(runner, { name: "node" }, {
    hostName: "nbu1x1",
    peerName: "`id`",
    peerNetns: { path: "/proc/42/ns/net" },
  });
  assert.deepEqual(runner.calls, [
    [
      ..."ip -n cni-1 link add name net1 address 02:16:3e:00:00:01 mtu 1400".split(" "),
      ..."type veth peer name".split(" "),
      "$(reboot)",
      ..."mtu 1400 netns".split(" "),
      String(Deno.pid),
    ],
    [
      ..."nsenter --net=/proc/42/ns/net ip link add name".split(" "),
      "`id`",
      ..."type veth peer name nbu1x1 netns /var/run/netns/node".split(" "),
    ],
  ]);
  await assert.rejects(
    createVethPairFromPeer(runner, undefined, {
      hostName: "h",
      peerName: "p",
      peerNetns: { name: "x" },
      peerMac: "zz",
    }),
    /Invalid peer MAC/,
  );
});
