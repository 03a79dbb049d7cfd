/**
 * `eve-cni-debug logs` on lines written by the real eve-bridge (its skeleton's LogTape file
 * sink): invocations on interfaces that touch no network (DEL of net1; ADD of net1 with an
 * unreachable zedrouter), then filtering by pod, container, command and time.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { LogsModelSchema } from "../cli/eve-cni-debug/cmd_logs.ts";
import { defaultDeps, runCli } from "../cli/eve-cni-debug/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";

const EVE_BRIDGE = new URL("../plugin/eve-bridge/main.ts", import.meta.url).pathname;

async function eveBridge(
  env: Record<string, string>,
  config: Record<string, unknown>,
): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EVE_BRIDGE],
    env,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(config)));
  await writer.close();
  return (await child.status).code;
}

sandboxTest("eve-cni-debug logs: filters eve-bridge's own log lines", [], async (sb) => {
  const pod = await sb.netns("pod");
  const logFile = `${sb.dir}/eve-bridge.log`;
  const config = {
    cniVersion: "1.0.0",
    name: "ni-local",
    type: "eve-bridge",
    logFile,
    zedrouterSocket: `${sb.dir}/absent.sock`,
    stateDir: `${sb.dir}/eb`,
  };
  const base = {
    CNI_NETNS: pod.path,
    CNI_IFNAME: "net1",
    CNI_PATH: "/usr/lib/cni",
  };
  const args = (name: string) =>
    `IgnoreUnknown=true;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=${name}`;
  assert.equal(
    await eveBridge({
      ...base,
      CNI_COMMAND: "DEL",
      CNI_CONTAINERID: "aaaa1111",
      CNI_ARGS: args("nginx-1a2b3-x7k2p"),
    }, config),
    0,
  );
  assert.notEqual(
    await eveBridge({
      ...base,
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "bbbb2222",
      CNI_ARGS: args("redis-2b3c4-abcde"),
    }, config),
    0,
    "ADD cannot succeed without zedrouter",
  );

  const run = (...a: string[]) => runCli(["--log-file", logFile, ...a], defaultDeps({}));
  const all = v.parse(LogsModelSchema, JSON.parse((await run("--json", "logs")).stdout));
  assert.ok(all.total >= 4, `expected Started/Finished lines of two invocations, got ${all.total}`);
  assert.equal(all.skippedLines, 0);

  const del = v.parse(
    LogsModelSchema,
    JSON.parse((await run("--json", "logs", "--command", "del")).stdout),
  );
  assert.ok(del.entries.length >= 2);
  for (const e of del.entries) {
    assert.equal(e.command, "DEL");
    assert.equal(e.containerId, "aaaa1111");
    assert.equal(e.podName, "nginx-1a2b3-x7k2p");
    assert.equal(e.podNamespace, "eve-kube-app");
    assert.equal(e.ifname, "net1");
    assert.equal(typeof e.durationMs, "number");
  }
  const byPod = v.parse(
    LogsModelSchema,
    JSON.parse((await run("--json", "logs", "--pod", "redis")).stdout),
  );
  assert.ok(byPod.entries.length >= 2);
  assert.ok(byPod.entries.every((e) => e.containerId === "bbbb2222"));
  assert.ok(byPod.entries.some((e) => e.level === "ERROR"), "the failed ADD is logged as an error");

  const byContainer = await run("logs", "--container", "aaaa");
  assert.equal(byContainer.exitCode, 0);
  assert.match(byContainer.stdout, /DEL +aaaa1111 +net1 +eve-kube-app\/nginx-1a2b3-x7k2p \+\d+ms/);
  assert.doesNotMatch(byContainer.stdout, /bbbb2222/);

  const future = await run("--json", "logs", "--since", "2999-01-01T00:00:00Z");
  assert.equal(v.parse(LogsModelSchema, JSON.parse(future.stdout)).entries.length, 0);
  const bad = await run("logs", "--since", "yesterday");
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /Invalid --since "yesterday"/);
});
