import assert from "node:assert/strict";
import * as v from "valibot";
import { FaultRuleSchema } from "../../rpc/mod.ts";
import { FaultTable, type FaultTarget } from "./fault_table.ts";

const rule = (r: Record<string, unknown>) => v.parse(FaultRuleSchema, r);
const L3: FaultTarget = {
  method: "RPCServer.ConnectPodAtL3",
  pod: "nginx-1a2b3-x7k2p",
  interface: "net1",
};
const kinds = (table: FaultTable, target: FaultTarget) =>
  table.strike(target).map((h) => `#${h.id} ${h.kind}@${h.at}`);

Deno.test("faults: once, times N and always are counted per hit", () => {
  const table = new FaultTable();
  table.add(rule({ method: "ConnectPodAtL3", fail: "once", once: true }));
  table.add(rule({ method: "ConnectPodAtL3", delay: 5, times: 2 }));
  table.add(rule({ method: "ConnectPodAtL3", delay: 7 }));
  assert.deepEqual(kinds(table, L3), ["#1 fail@request", "#2 delay@request", "#3 delay@request"]);
  assert.deepEqual(kinds(table, L3), ["#2 delay@request", "#3 delay@request"]);
  assert.deepEqual(kinds(table, L3), ["#3 delay@request"]);
  assert.deepEqual(
    table.list().map((f) => [f.id, f.remaining, f.hits]),
    [[1, 0, 1], [2, 0, 2], [3, null, 3]],
    "used-up rules stay listed with their hits",
  );
});

Deno.test("faults: method, pod glob and interface must all match", () => {
  const table = new FaultTable();
  table.add(rule({ method: "ConnectPodAtL3", pod: "nginx-*", drop: true }));
  table.add(rule({ method: "ConnectPodAtL3", interface: "net2", drop: true }));
  table.add(rule({ method: "ConnectPodAtL2", drop: true }));
  assert.deepEqual(kinds(table, L3), ["#1 drop@request"]);
  assert.deepEqual(kinds(table, { ...L3, pod: "redis-2b3c4-abcde" }), []);
  assert.deepEqual(kinds(table, { ...L3, pod: null }), [], "a pod pattern needs a pod");
  assert.deepEqual(kinds(table, { ...L3, pod: "redis-2b3c4-abcde", interface: "net2" }), [
    "#2 drop@request",
  ]);
});

Deno.test("faults: per stage every delay and the first fail/hang/drop; others are not hit", () => {
  const table = new FaultTable();
  table.add(rule({ method: "ConnectPodAtL3", hang: true }));
  table.add(rule({ method: "ConnectPodAtL3", fail: "second", once: true }));
  table.add(rule({ method: "ConnectPodAtL3", delay: 3 }));
  table.add(rule({ method: "ConnectPodAtL3", drop: true, at: "reply" }));
  assert.deepEqual(kinds(table, L3), ["#1 hang@request", "#3 delay@request", "#4 drop@reply"]);
  assert.equal(table.list()[1]!.remaining, 1, "the fail behind the hang was not used up");
});

Deno.test("faults: config rules are replaced on reload, rules added by RPC stay", () => {
  const table = new FaultTable();
  table.setConfigRules([rule({ method: "DisconnectPod", drop: true })]);
  table.add(rule({ method: "DisconnectPod", delay: 1 }));
  table.setConfigRules([rule({ method: "CheckPodConnection", fail: "x" })]);
  assert.deepEqual(table.list().map((f) => [f.id, f.source, f.method]), [
    [2, "rpc", "RPCServer.DisconnectPod"],
    [3, "config", "RPCServer.CheckPodConnection"],
  ]);
  assert.equal(table.clear(2), 1);
  assert.equal(table.clear(99), 0);
  assert.equal(table.clear(), 1);
  assert.deepEqual(table.list(), []);
});
