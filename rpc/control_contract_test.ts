import assert from "node:assert/strict";
import * as v from "valibot";
import { describeIssues } from "../core/mod.ts";
import { FaultRuleSchema } from "./control_contract.ts";

function problems(rule: unknown): string {
  const parsed = v.safeParse(FaultRuleSchema, rule);
  assert.ok(!parsed.success, `expected ${JSON.stringify(rule)} to be refused`);
  return describeIssues(parsed.issues);
}

Deno.test("fault rules: short method names become full ones; at defaults to request", () => {
  const parsed = v.parse(FaultRuleSchema, { method: "ConnectPodAtL3", fail: "boom", once: true });
  assert.deepEqual(parsed, {
    method: "RPCServer.ConnectPodAtL3",
    at: "request",
    fail: "boom",
    once: true,
  });
  // Idempotent: what a client sends after validating still validates to the same.
  assert.deepEqual(v.parse(FaultRuleSchema, parsed), parsed);
  assert.equal(
    v.parse(FaultRuleSchema, { method: "RPCServer.DisconnectPod", hang: true, at: "reply" }).at,
    "reply",
  );
});

Deno.test("fault rules: each bad field is named with what to write instead", () => {
  assert.match(
    problems({ method: "ConnectPod", drop: true }),
    /^method: Expected one of EVE's methods ConnectPodAtL2, ConnectPodAtL3, DisconnectPod, CheckPodConnection, got "RPCServer.ConnectPod"$/,
  );
  assert.match(
    problems({ method: "DisconnectPod", delay: 0 }),
    /^delay: A delay is at least 1 ms$/,
  );
  assert.match(problems({ method: "DisconnectPod", delay: "5" }), /^delay: Expected a delay/);
  assert.match(problems({ method: "DisconnectPod", fail: "" }), /^fail: The error text must not/);
  assert.match(problems({ method: "DisconnectPod", hang: false }), /^hang: Expected "hang: true"/);
  assert.match(
    problems({ method: "DisconnectPod", drop: true, times: 0 }),
    /^times: times is at least 1$/,
  );
  assert.match(
    problems({ method: "DisconnectPod", drop: true, pod: "a b" }),
    /^pod: Expected a pod name or a glob/,
  );
  assert.match(problems({ method: "DisconnectPod", drop: true, interface: "a/b" }), /^interface: /);
  assert.match(
    problems({ method: "DisconnectPod", drop: true, at: "later" }),
    /^at: Expected "request"/,
  );
  assert.match(problems({ method: "DisconnectPod", drop: true, every: 2 }), /^every: /);
});

Deno.test("fault rules: exactly one action and at most one count", () => {
  assert.equal(
    problems({ method: "DisconnectPod" }),
    'A fault needs exactly one of "delay", "fail", "hang", "drop"; none is given',
  );
  assert.equal(
    problems({ method: "DisconnectPod", delay: 5, fail: "x" }),
    'A fault needs exactly one of "delay", "fail", "hang", "drop"; got "delay", "fail"',
  );
  assert.equal(
    problems({ method: "DisconnectPod", drop: true, once: true, times: 2 }),
    'A fault takes at most one of "once", "times", "always"; got "once", "times"',
  );
});
