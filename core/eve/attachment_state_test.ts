import assert from "node:assert/strict";
import * as v from "valibot";
import {
  attachmentPaths,
  AttachmentStateSchema,
  salvageState,
  STATE_VERSION,
} from "./attachment_state.ts";

const RECORD = {
  version: STATE_VERSION,
  containerID: "c1",
  ifname: "net1",
  network: "ni-local",
  netnsPath: "/var/run/netns/cni-1",
  podName: "web-11111-x7k2p",
  podNamespace: "eve-kube-app",
  mac: "02:16:3E:77:00:01",
  vmi: false,
  useDHCP: true,
  appUUID: "11111111-aaaa-4aaa-8aaa-111111111111",
  zedrouterSocket: "/run/zedrouter/rpc.sock",
  logFile: "/persist/kubelog/eve-bridge.log",
  phase: "ready",
  dhcp: { pid: 4242, eventFile: "/s/c1/net1.events", pidFile: "/s/c1/net1.pid", hookScript: "/h" },
  lease: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

Deno.test("salvageState of a whole record is what the writer's schema parses", () => {
  assert.deepEqual(salvageState(RECORD), v.parse(AttachmentStateSchema, RECORD));
  assert.equal(salvageState(RECORD).mac, "02:16:3e:77:00:01", "normalised as the writer does");
});

Deno.test("salvageState keeps each valid field and leaves out missing or invalid ones", () => {
  const raw = {
    containerID: "c1",
    ifname: "net1",
    mac: "not-a-mac",
    phase: "exploded",
    vmi: "yes",
    futureField: 1,
    dhcp: { pid: 4242, eventFile: 7 },
    lease: { address: "10.77.1.50/24", gateway: "nowhere" },
  };
  assert.deepEqual(salvageState(raw), {
    containerID: "c1",
    ifname: "net1",
    dhcp: { pid: 4242 },
    lease: { address: "10.77.1.50/24" },
  });
  assert.deepEqual(salvageState("text"), {});
  assert.deepEqual(salvageState({ dhcp: null }), { dhcp: null });
});

Deno.test("attachmentPaths: one directory per container, one file set per interface", () => {
  assert.deepEqual(attachmentPaths("/run/eve-bridge", "c1", "net1"), {
    dir: "/run/eve-bridge/c1",
    state: "/run/eve-bridge/c1/net1.json",
    events: "/run/eve-bridge/c1/net1.events",
    pid: "/run/eve-bridge/c1/net1.pid",
    lock: "/run/eve-bridge/c1/net1.lock",
    reserve: "/run/eve-bridge/c1/net1.reserve",
    routing: "/run/eve-bridge/c1/net1.routing",
  });
  assert.throws(() => attachmentPaths("/s", "../x", "net1"), /Invalid attachment/);
  assert.throws(() => attachmentPaths("/s", "c1", "a/b"), /Invalid attachment/);
});
