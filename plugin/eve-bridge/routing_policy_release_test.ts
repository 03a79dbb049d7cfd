import assert from "node:assert/strict";
import { type RoutingRecord, routingRecordPath } from "../../core/eve/mod.ts";
import { withTempDir } from "../../core/mod.ts";
import { recordingRunner } from "../../netns/mod.ts";
import type { CniLogger } from "../cni/mod.ts";
import { gcRoutingRecords } from "./routing_policy_release.ts";
import { writeRoutingRecord } from "./routing_policy_step.ts";

const logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as CniLogger;

function record(containerID: string, ifname: string, network: string): RoutingRecord {
  return {
    version: 1,
    containerID,
    ifname,
    network,
    netnsPath: "/var/run/netns/evetest-gone-pod",
    podName: "",
    hostEnd: "bn1",
    hostNetns: null,
    intent: { table: null, hijackSubnets: [], rpFilter: null, neighbours: true, macPrefix: null },
    applied: {
      addresses: ["10.78.1.50/24"],
      mac: null,
      rules: [],
      tableRoutes: [],
      hijackRoutes: [],
      skipped: [],
      podNeighbours: [],
      hostNeighbours: [{ ip: "10.78.1.50", dev: "bn1", mac: "02:16:3e:78:01:01" }],
    },
    updatedAt: "2026-12-01T00:00:00.000Z",
  };
}

Deno.test("GC of routing records: the unlisted ones of this network, node entries first", async () => {
  await withTempDir("evetest-routing-gc-", async (stateDir) => {
    const stale = routingRecordPath(stateDir, "c1", "net1");
    const listed = routingRecordPath(stateDir, "c2", "net1");
    const other = routingRecordPath(stateDir, "c3", "net1");
    await writeRoutingRecord(stale, record("c1", "net1", "ni-local"));
    await writeRoutingRecord(listed, record("c2", "net1", "ni-local"));
    await writeRoutingRecord(other, record("c3", "net1", "ni-other"));
    // The node still has the stale record's entry on bn1.
    const neighbours = JSON.stringify([{
      dst: "10.78.1.50",
      lladdr: "02:16:3e:78:01:01",
      state: ["PERMANENT"],
    }]);
    const runner = recordingRunner((argv) =>
      argv.includes("-j")
        ? {
          code: 0,
          stdout:
            `[{"ifindex":4,"ifname":"bn1","mtu":1500,"address":"02:00:00:00:0b:01"}]\n${neighbours}\n`,
          stderr: "",
        }
        : undefined
    );
    const failures = await gcRoutingRecords(
      runner,
      stateDir,
      "ni-local",
      new Set(["c2\0net1"]),
      logger,
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(runner.calls, [["ip", "-j", "-batch", "-"], ["ip", "-batch", "-"]]);
    const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
    assert.deepEqual([await exists(stale), await exists(listed), await exists(other)], [
      false,
      true,
      true,
    ]);
    assert.equal(
      await exists(`${stateDir}/c1`),
      false,
      "the container's dir goes with its last file",
    );
  });
});
