/**
 * fake-zedrouter in CI with our eve-bridge as the plugin under test, driven through libcni
 * (cnidrive) as kubelet + Multus drive it: the journal of a whole ADD/CHECK/DEL holds exactly
 * EVE's four calls in order with their params; each fault kind ends as eve-bridge documents
 * (plugin/cni/errors.ts): zedrouter's error is code 103 with zedrouter's text, no answer in
 * time is code 11 (try again later), a dropped connection is a clean 103; and every failed
 * ADD leaves nothing behind (kernel, leases, processes, state files read back).
 */
import assert from "node:assert/strict";
import type { JournalEntry } from "../../rpc/mod.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { FAKE_ZEDROUTER } from "../../scripts/sandbox/paths.ts";
import { cni } from "../../scripts/sandbox/pod.ts";
import { APPS, CNIDRIVE, e2eTest, NI, onLocalNi, podLink, trackedPod } from "./harness.ts";
import { attach, checkAll, detach, netX } from "./runtime.ts";
import { lastFailureCode } from "./plugin_log.ts";

/** eve-bridge's documented codes: zedrouter refused (or the call broke), try again later. */
const ZEDROUTER_FAILED = 103;
const TRY_AGAIN_LATER = 11;

/** `fake-zedrouter fault add` (the built program) against the node's zedrouter. */
async function addFault(node: E2eNode, ...flags: string[]): Promise<void> {
  const out = await new Deno.Command(FAKE_ZEDROUTER, {
    args: ["fault", "add", "--socket", node.socket, ...flags],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

async function journal(node: E2eNode): Promise<JournalEntry[]> {
  return (await node.inspect("Inspect.Journal")).entries;
}

const summary = (entries: JournalEntry[]) =>
  entries.map((e) => [e.method.slice("RPCServer.".length), e.outcome, e.faults.map((f) => f.kind)]);

e2eTest("e2e CI: the journal of ADD/CHECK/DEL holds EVE's four calls with their params", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, onLocalNi(node, APPS.nginx));
  await checkAll(CNIDRIVE, node, attached);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);

  const entries = await journal(node);
  assert.deepEqual(summary(entries), [
    ["ConnectPodAtL2", "ok", []],
    ["ConnectPodAtL3", "ok", []],
    ["CheckPodConnection", "ok", []],
    ["DisconnectPod", "ok", []],
  ]);
  const netns = pod.netns.path;
  const podArgs = { name: pod.name, netNsPath: netns, namespace: pod.namespace };
  const [l2, l3, check, del] = entries;
  assert.deepEqual(l2!.params, {
    pod: podArgs,
    podInterface: { name: "net1", mac: APPS.nginx.local.mac, netNsPath: netns },
    networkInstance: NI.local.uuid,
  });
  const l3Params = l3!.params as Record<string, unknown>;
  assert.deepEqual(l3Params.ips, [{ address: `${APPS.nginx.local.ip}/24`, gateway: "10.78.1.1" }]);
  assert.deepEqual(l3Params.routes, [{ dst: "0.0.0.0/0", gw: "10.78.1.1" }]);
  assert.deepEqual((l3Params.dns as { nameservers: string[] }).nameservers, ["10.78.1.1"]);
  // CHECK and DEL name the pod interface only (no MAC, as EVE's client; no NI either).
  for (const e of [check!, del!]) {
    assert.deepEqual(e.params, {
      pod: podArgs,
      podInterface: { name: "net1", mac: null, netNsPath: netns },
    });
  }
  assert.equal((l2!.result as { appUUID: string }).appUUID, APPS.nginx.uuid);
});

e2eTest(
  "e2e CI: fail on ConnectPodAtL3 is code 103 and the L2 attachment is rolled back",
  {},
  async (
    ctx,
  ) => {
    const { node } = ctx;
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const error = `failed to find adapter with pod interface net1 for app ${APPS.nginx.uuid}`;
    await addFault(
      node,
      "--method",
      "ConnectPodAtL3",
      "--pod",
      "nginx-*",
      "--fail",
      error,
      "--once",
    );
    const add = await cni(CNIDRIVE, node, "add", pod, netX(node, "net1", NI.local.name));
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, new RegExp(`zedrouter refused ConnectPodAtL3: ${error}`));
    assert.equal(await lastFailureCode(node), ZEDROUTER_FAILED);
    assert.equal(await podLink(pod, "net1"), undefined, "no pod end");
    assert.deepEqual(await findLeaks(node, ctx.pods), [], "no veth, lease, udhcpc or state");
    assert.deepEqual(summary(await journal(node)), [
      ["ConnectPodAtL2", "ok", []],
      ["ConnectPodAtL3", "error", ["fail"]],
      ["DisconnectPod", "ok", []],
    ]);
  },
);

e2eTest(
  "e2e CI: hang on ConnectPodAtL2 ends at eve-bridge's call timeout, code 11, nothing left",
  {},
  async (
    ctx,
  ) => {
    const { node } = ctx;
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    // At reply: zedrouter made the veth, then never answers; the rollback must remove it.
    await addFault(node, "--method", "ConnectPodAtL2", "--hang", "--at", "reply", "--once");
    const add = await cni(CNIDRIVE, node, "add", pod, netX(node, "net1", NI.local.name));
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /zedrouter is not reachable .*\(ConnectPodAtL2\)/);
    assert.equal(await lastFailureCode(node), TRY_AGAIN_LATER);
    assert.equal(await podLink(pod, "net1"), undefined, "no pod end");
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
    assert.deepEqual(summary(await journal(node)), [
      ["ConnectPodAtL2", "pending", ["hang"]],
      ["DisconnectPod", "ok", []],
    ]);
  },
);

e2eTest(
  "e2e CI: hang on ConnectPodAtL3 fails ADD with code 11, rollback included, nothing left",
  {},
  async (ctx) => {
    const { node } = ctx;
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    await addFault(node, "--method", "ConnectPodAtL3", "--hang", "--once");
    const started = performance.now();
    const add = await cni(CNIDRIVE, node, "add", pod, netX(node, "net1", NI.local.name));
    // A figure, not an assertion (the bound is 2x the call timeout, rollback included).
    const ms = Math.round(performance.now() - started);
    Deno.stdout.writeSync(
      new TextEncoder().encode(`ADD, ConnectPodAtL3 hung: failed after ${ms} ms\n`),
    );
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /zedrouter is not reachable .*\(ConnectPodAtL3\)/);
    assert.equal(await lastFailureCode(node), TRY_AGAIN_LATER);
    assert.equal(await podLink(pod, "net1"), undefined, "no pod end");
    assert.deepEqual(await findLeaks(node, ctx.pods), [], "no veth, lease, udhcpc or state");
    assert.deepEqual(summary(await journal(node)), [
      ["ConnectPodAtL2", "ok", []],
      ["ConnectPodAtL3", "pending", ["hang"]],
      ["DisconnectPod", "ok", []],
    ]);
  },
);

e2eTest("e2e CI: delay on ConnectPodAtL2 shows in the journal's duration; ADD succeeds", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  await addFault(node, "--method", "ConnectPodAtL2", "--delay", "700");
  const attached = await attach(CNIDRIVE, node, pod, [netX(node, "net1", NI.local.name)]);
  const [l2] = await journal(node);
  assert.deepEqual([l2!.outcome, l2!.faults.map((f) => [f.kind, f.delayMs])], [
    "ok",
    [["delay", 700]],
  ]);
  // A lower bound, not a timing: the injected delay is part of the call's duration.
  assert.ok(l2!.durationMs >= 699, `${l2!.durationMs} ms covers the 700 ms delay`);
  await detach(CNIDRIVE, node, attached);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});

e2eTest("e2e CI: drop on ConnectPodAtL2 is a clean code 103 and nothing is left", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  await addFault(node, "--method", "ConnectPodAtL2", "--drop", "--once");
  const add = await cni(CNIDRIVE, node, "add", pod, netX(node, "net1", NI.local.name));
  assert.notEqual(add.code, 0);
  assert.match(add.stderr, /zedrouter ConnectPodAtL2 failed; Connection to ".*" closed/);
  assert.doesNotMatch(add.stderr, /\n\s+at /, "no stack trace");
  assert.equal(await lastFailureCode(node), ZEDROUTER_FAILED);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  // The rollback's DisconnectPod failed on the dropped connection, then went on a fresh one.
  assert.deepEqual(summary(await journal(node)), [
    ["ConnectPodAtL2", "dropped", ["drop"]],
    ["DisconnectPod", "ok", []],
  ]);
});
