/**
 * eve-cni-debug reads the state files the pod-interface flow writes: the two must agree on
 * the layout (`<stateDir>/<containerID>/<ifname>.json`) and on the field names. This test
 * writes a record the way eve-bridge does and reads it the way eve-cni-debug does.
 */
import assert from "node:assert/strict";
import { writeState } from "../plugin/eve-bridge/attachment_state.ts";
import {
  type AttachmentPaths,
  attachmentPaths,
  type AttachmentState,
  STATE_VERSION,
} from "../core/eve/mod.ts";
import { readEveBridgeState } from "../cli/eve-cni-debug/eve_bridge_state.ts";
import { installHook } from "../plugin/eve-bridge/dhcp/hook.ts";

/** A web pod's record as eve-bridge writes it once ADD succeeded. */
function webPodState(paths: AttachmentPaths): AttachmentState {
  return {
    version: STATE_VERSION,
    containerID: "c-web-1",
    ifname: "net1",
    network: "ni-local",
    netnsPath: "/var/run/netns/cni-1",
    podName: "web-11111-0-x7k2p",
    podNamespace: "eve-kube-app",
    mac: "02:16:3e:77:00:01",
    vmi: false,
    useDHCP: true,
    appUUID: "11111111-aaaa-4aaa-8aaa-111111111111",
    zedrouterSocket: "/run/zedrouter/rpc.sock",
    logFile: "/persist/kubelog/eve-bridge.log",
    phase: "ready",
    dhcp: { pid: 4242, eventFile: paths.events, pidFile: paths.pid, hookScript: "/h" },
    lease: {
      address: "10.77.1.50/24",
      gateway: "10.77.1.1",
      routes: [],
      dns: [],
      domain: null,
      leaseSeconds: 3600,
      serverId: null,
      obtainedAt: "2026-01-01T00:00:00.000Z",
    },
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

Deno.test("eve-bridge state files are what eve-cni-debug reads", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "eve-bridge-state-format-" });
  try {
    const paths = attachmentPaths(stateDir, "c-web-1", "net1");
    const state = webPodState(paths);
    await writeState(paths.state, state);
    await Deno.writeTextFile(paths.events, "");
    await installHook(stateDir, undefined); // scripts in the state dir are not records
    const { records, unreadable } = await readEveBridgeState(stateDir);
    assert.deepEqual(unreadable, []);
    assert.equal(records.length, 1);
    const want = {
      path: paths.state,
      containerId: "c-web-1",
      ifname: "net1",
      podName: "web-11111-0-x7k2p",
      podNamespace: "eve-kube-app",
      netnsPath: "/var/run/netns/cni-1",
      mac: "02:16:3e:77:00:01",
      appUuid: "11111111-aaaa-4aaa-8aaa-111111111111",
      dhcpClientPid: 4242,
      leaseAddress: "10.77.1.50/24",
    };
    // eve-cni-debug may read more fields over time; these are the ones it relies on.
    const got = records[0]! as unknown as Record<string, unknown>;
    assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, got[k]])), want);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("eve-cni-debug reads a record without a DHCP client (a VMI: dhcp and lease null)", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "eve-bridge-state-format-" });
  try {
    const paths = attachmentPaths(stateDir, "c-vmi-1", "pod37a8eec1ce1");
    const state: AttachmentState = {
      ...webPodState(paths),
      containerID: "c-vmi-1",
      ifname: "pod37a8eec1ce1",
      podName: "virt-launcher-vm1-abcde",
      mac: "02:16:3E:77:00:02",
      vmi: true,
      dhcp: null,
      lease: null,
    };
    await writeState(paths.state, state);
    const { records, unreadable } = await readEveBridgeState(stateDir);
    assert.deepEqual(unreadable, []);
    assert.equal(records.length, 1);
    const got = records[0]!;
    assert.equal(got.containerId, "c-vmi-1");
    assert.equal(got.ifname, "pod37a8eec1ce1");
    assert.equal(got.mac, "02:16:3e:77:00:02");
    assert.equal(got.vmi, true);
    assert.equal(got.dhcpClientPid, null);
    assert.equal(got.leaseAddress, null);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
