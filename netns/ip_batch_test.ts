import assert from "node:assert/strict";
import { readIpBatch, runIpBatch } from "./ip_batch.ts";
import { routeCommand } from "./routes.ts";
import { sourceRuleCommand } from "./rules.ts";
import { CommandError, recordingRunner } from "./runner.ts";

Deno.test("ip batch: one process per family, commands on stdin, in the namespace", async () => {
  const stdins: string[] = [];
  const runner = recordingRunner();
  const recording = Object.assign(
    (argv: readonly string[], options?: { stdin?: string }) => {
      stdins.push(options?.stdin ?? "");
      return runner(argv);
    },
    { calls: runner.calls },
  );
  await runIpBatch(recording, { name: "pod" }, [
    routeCommand("replace", { dst: "default", via: "10.0.0.1", dev: "net1", table: 101 }),
    sourceRuleCommand("add", { src: "fd00::5/128", table: 101, priority: 1000 }),
    sourceRuleCommand("add", { src: "10.0.0.5/32", table: 101, priority: 1000 }),
  ]);
  assert.deepEqual(recording.calls, [
    ["ip", "-n", "pod", "-batch", "-"],
    ["ip", "-n", "pod", "-6", "-batch", "-"],
  ]);
  assert.deepEqual(stdins, [
    "route replace default via 10.0.0.1 dev net1 table 101\nrule add from 10.0.0.5/32 lookup 101 pref 1000\n",
    "rule add from fd00::5/128 lookup 101 pref 1000\n",
  ]);
  await runIpBatch(recording, undefined, []);
  assert.equal(recording.calls.length, 2, "nothing to run: no process");
});

Deno.test("ip batch: a failure names the failing command; unsafe words are refused", async () => {
  const failing = recordingRunner(() => ({
    code: 1,
    stdout: "",
    stderr: "RTNETLINK answers: File exists\nCommand failed -:2\n",
  }));
  const error = await runIpBatch(failing, undefined, [
    routeCommand("replace", { dst: "10.1.0.0/16", dev: "net1" }),
    sourceRuleCommand("add", { src: "10.0.0.5/32", table: 7, priority: 1000 }),
  ]).catch((e) => e);
  assert.ok(error instanceof CommandError);
  assert.equal(error.kind, "exists");
  assert.deepEqual(error.argv, [
    "ip",
    "rule",
    "add",
    "from",
    "10.0.0.5/32",
    "lookup",
    "7",
    "pref",
    "1000",
  ]);
  await assert.rejects(
    () =>
      runIpBatch(recordingRunner(), undefined, [{ family: null, args: ["link", "show", 'a"b'] }]),
    /Cannot pass "a\\"b" to ip -batch/,
  );
});

Deno.test("ip batch reads: one JSON text per command", async () => {
  const runner = recordingRunner(() => ({ code: 0, stdout: '[]\n[{"a":1}]\n', stderr: "" }));
  assert.deepEqual(await readIpBatch(runner, undefined, [["addr", "show"], ["rule", "show"]]), [
    "[]",
    '[{"a":1}]',
  ]);
  assert.deepEqual(runner.calls, [["ip", "-j", "-batch", "-"]]);
  await assert.rejects(() => readIpBatch(runner, undefined, [["addr", "show"]]), /2 results for 1/);
});
