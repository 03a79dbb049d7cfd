/**
 * status, rpc call and replay against a live fake-zedrouter (and, for replay, the real
 * eve-bridge entry point run as a plugin), asserting on the wire text and exit codes.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { RpcCallModelSchema } from "../cli/eve-cni-debug/cmd_rpc.ts";
import { StatusModelSchema } from "../cli/eve-cni-debug/cmd_status.ts";
import { ReplayModelSchema } from "../cli/eve-cni-debug/cmd_replay.ts";
import { defaultDeps, runCli } from "../cli/eve-cni-debug/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { APP_MAC, attachPod, startNode } from "./eve_cni_debug_harness.ts";

const POD = "nginx-1a2b3-x7k2p";

sandboxTest("eve-cni-debug status: socket answers in both dialects; tools and plugins", [
  "udhcpc",
  "dnsmasq",
], async (sb) => {
  const live = await startNode(sb);
  await Deno.writeTextFile(live.logFile, "");
  const r = await live.debug("--json", "status", "--cni-path", "/usr/lib/cni");
  const m = v.parse(StatusModelSchema, JSON.parse(r.stdout));
  assert.deepEqual(m.zedrouter.probes.map((p) => [p.dialect, p.answered]), [["go", true], [
    "jsonrpc2",
    true,
  ]]);
  assert.match(m.zedrouter.probes[0]!.server ?? "", /^fake-zedrouter /);
  assert.ok(m.tools.every((t) => t.found && t.version !== null), JSON.stringify(m.tools));
  const bridge = m.plugins.find((p) => p.name === "bridge");
  assert.ok(bridge?.supportedVersions?.includes("1.0.0"));
  assert.deepEqual(m.problems, []);
  assert.equal(r.exitCode, 0);

  // A directory of a CNI_PATH someone set that is not there: a problem (1), with a hint.
  const holed = `/usr/lib/cni:${sb.dir}/no-such-dir`;
  for (
    const [args, env, from] of [
      [["--cni-path", holed], {}, "from --cni-path"],
      [[], { CNI_PATH: holed }, "from $CNI_PATH"],
    ] as const
  ) {
    const h = await runCli(
      ["--socket", live.socket, "--json", "status", ...args],
      defaultDeps(env),
    );
    const hm = v.parse(StatusModelSchema, JSON.parse(h.stdout));
    assert.equal(h.exitCode, 1, JSON.stringify(hm.problems));
    assert.deepEqual(hm.cniPathMissing, [`${sb.dir}/no-such-dir`]);
    assert.deepEqual(hm.problems, [
      `CNI_PATH directory ${sb.dir}/no-such-dir (${from}) does not exist: remove it from ` +
      `${from.slice(5)}, or install the CNI plugins there`,
    ]);
  }

  const down = await runCli(["--socket", `${sb.dir}/absent.sock`, "status"], defaultDeps({}));
  assert.equal(down.exitCode, 3);
  assert.match(down.stdout, /socket: .*absent\.sock \(missing\)/);
});

sandboxTest("eve-cni-debug rpc call: friendly flags, both dialects, remote errors", [
  "udhcpc",
  "dnsmasq",
], async (sb) => {
  const live = await startNode(sb);
  const pod = await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  const call = async (...args: string[]) => {
    const r = await live.debug(...args);
    return { exitCode: r.exitCode, model: v.parse(RpcCallModelSchema, JSON.parse(r.stdout)) };
  };
  const go = await call(
    "--json",
    "rpc",
    "call",
    "CheckPodConnection",
    "--pod",
    POD,
    "--netns",
    pod.netns.name,
    "--ifname",
    "net1",
  );
  assert.equal(go.exitCode, 0);
  assert.equal(go.model.method, "RPCServer.CheckPodConnection");
  // Go's wire: params is an array of one object with Go field names; MAC null.
  const request = JSON.parse(go.model.request);
  assert.equal(request.params[0].Pod.NetNsPath, pod.netns.path);
  assert.equal(request.params[0].PodInterface.MAC, null);
  const reply = JSON.parse(go.model.reply);
  assert.equal(reply.error, null);
  assert.equal(reply.result.UsesDHCP, true);

  const j2 = await call("--json", "--dialect", "jsonrpc2", "rpc", "call", "Inspect.Attachments");
  assert.equal(JSON.parse(j2.model.request).jsonrpc, "2.0");
  assert.equal(JSON.parse(j2.model.reply).result.attachments[0].hostIfName, "nbu1x1");

  const unknownPod = await call(
    "--json",
    "rpc",
    "call",
    "RPCServer.CheckPodConnection",
    "--params",
    JSON.stringify({
      pod: { name: "nobody-00000-aaaaa", netNsPath: pod.netns.path },
      podInterface: { name: "net1", mac: null, netNsPath: pod.netns.path },
    }),
  );
  assert.equal(unknownPod.exitCode, 1);
  assert.match(unknownPod.model.error ?? "", /failed to find app network status for pod/);

  const human = await live.debug("rpc", "call", "Inspect.Health");
  assert.match(
    human.stdout,
    /^# Inspect\.Health on .* \(go dialect\)\n-> \{"method":"Inspect\.Health","params":\[\{\}\],"id":0\}\n<- \{"id":0,"result":\{"version":"fake-zedrouter/,
  );
  const bad = await live.debug("rpc", "call", "CheckPodConnection", "--pod", POD);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /Give --pod, --netns and --ifname/);
});

sandboxTest("eve-cni-debug replay: re-runs a logged DEL against eve-bridge", [], async (sb) => {
  const netns = await sb.netns("pod");
  const logFile = `${sb.dir}/eve-bridge.log`;
  const configPath = `${sb.dir}/net1.json`;
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "ni-local",
      type: "eve-bridge",
      logFile,
      zedrouterSocket: `${sb.dir}/absent.sock`,
    }),
  );
  // eve-bridge on a private CNI_PATH, as a node would install it.
  const bin = `${sb.dir}/bin`;
  await Deno.mkdir(bin);
  const entry = new URL("../plugin/eve-bridge/main.ts", import.meta.url).pathname;
  await Deno.writeTextFile(
    `${bin}/eve-bridge`,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A "${entry}"\n`,
    { mode: 0o755 },
  );
  const env = {
    CNI_COMMAND: "DEL",
    CNI_CONTAINERID: "feed0001",
    CNI_IFNAME: "net1",
    CNI_NETNS: netns.path,
    CNI_PATH: bin,
    CNI_ARGS: `IgnoreUnknown=true;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=${POD}`,
  };
  const first = await new Deno.Command(`${bin}/eve-bridge`, {
    env,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = first.stdin.getWriter();
  await w.write(await Deno.readFile(configPath));
  await w.close();
  assert.equal((await first.status).code, 0);

  const r = await runCli([
    "--log-file",
    logFile,
    "--json",
    "replay",
    "--pod",
    POD,
    "--config",
    configPath,
    "--netns",
    netns.path,
    "--cni-path",
    bin,
  ], defaultDeps({}));
  assert.equal(r.exitCode, 0, r.stderr + r.stdout);
  const m = v.parse(ReplayModelSchema, JSON.parse(r.stdout));
  assert.equal(m.env.CNI_COMMAND, "DEL");
  assert.equal(m.env.CNI_CONTAINERID, "feed0001");
  assert.equal(m.env.CNI_ARGS, env.CNI_ARGS);
  assert.equal(m.exitCode, 0);
  // The replay is itself logged: the log now holds two DEL invocations of the container.
  const text = await Deno.readTextFile(logFile);
  const finished = text.split("\n").filter((l) =>
    l.includes('"Finished') && l.includes("feed0001")
  );
  assert.equal(finished.length, 2);

  // eve-bridge logs each invocation's netns and config, so a replay needs neither flag.
  const bare = await runCli(
    ["--log-file", logFile, "--json", "replay", "--pod", POD, "--cni-path", bin],
    defaultDeps({}),
  );
  assert.equal(bare.exitCode, 0, bare.stderr + bare.stdout);
  const replayed = v.parse(ReplayModelSchema, JSON.parse(bare.stdout));
  assert.equal(replayed.env.CNI_NETNS, netns.path);
  assert.equal(replayed.exitCode, 0);
});
