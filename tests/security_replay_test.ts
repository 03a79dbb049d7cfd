/**
 * Issue 17, item 7: `eve-cni-debug replay` shows what it would run and refuses to run a
 * logged invocation that fails the checks a live call makes: a forged log line naming a
 * state dir others can write, a log in a world-writable directory, a plugin others can
 * change. The plugin here leaves a marker file when run: it must never appear.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { ReplayModelSchema } from "../cli/eve-cni-debug/cmd_replay.ts";
import { defaultDeps, runCli } from "../cli/eve-cni-debug/mod.ts";
import { entryExistsSync } from "../core/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";

const POD = "nginx-1a2b3-x7k2p";

/** One "Started" line as eve-bridge writes it, with the forger's config and netns. */
function startedLine(config: Record<string, unknown>, netns: string): string {
  return JSON.stringify({
    "@timestamp": "2026-12-02T05:00:00.000Z",
    level: "DEBUG",
    message: 'Started "DEL"',
    logger: "eve-bridge",
    properties: {
      command: "DEL",
      containerID: "feed0002",
      ifname: "net1",
      podNamespace: "eve-kube-app",
      podName: POD,
      cniVersion: "1.0.0",
      netns,
      config,
      durationMs: 1,
    },
  }) + "\n";
}

sandboxTest("security: replay refuses a forged log line's untrusted paths", [], async (sb) => {
  const netns = await sb.netns("pod");
  const bin = `${sb.dir}/bin`;
  await Deno.mkdir(bin);
  const marker = `${sb.dir}/ran`;
  await Deno.writeTextFile(`${bin}/eve-bridge`, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
  const shared = `${sb.dir}/shared`;
  await Deno.mkdir(shared);
  await Deno.chmod(shared, 0o1777);
  const base = { cniVersion: "1.0.0", name: "ni-local", type: "eve-bridge" };
  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    ["a 1777 stateDir", `${sb.dir}/a.log`, { ...base, stateDir: shared }, /stateDir: .*writable/],
    [
      "a socket in it",
      `${sb.dir}/b.log`,
      { ...base, zedrouterSocket: `${shared}/rpc.sock` },
      /zedrouterSocket/,
    ],
    ["a log in a 1777 dir", `${shared}/c.log`, base, /log ".*c\.log": .*writable/],
  ];
  for (const [what, logFile, config, why] of cases) {
    await Deno.writeTextFile(logFile, startedLine(config, netns.path));
    const r = await runCli(
      ["--log-file", logFile, "--json", "replay", "--pod", POD, "--cni-path", bin],
      defaultDeps({}),
    );
    assert.equal(r.exitCode, 1, `${what}: ${r.stderr}${r.stdout}`);
    const model = v.parse(ReplayModelSchema, JSON.parse(r.stdout));
    assert.equal(model.ran, false, what);
    assert.match(model.refusals.join("\n"), why, what);
    // What it would have run is shown all the same.
    assert.equal(model.env.CNI_NETNS, netns.path);
    assert.equal(model.plugin, `${bin}/eve-bridge`);
    assert.equal(entryExistsSync(marker), false, `${what}: the plugin never ran`);
  }
  // A plugin others may change is refused too, even from a trustworthy log.
  await Deno.chmod(`${bin}/eve-bridge`, 0o777);
  await Deno.writeTextFile(`${sb.dir}/d.log`, startedLine(base, netns.path));
  const r = await runCli(
    ["--log-file", `${sb.dir}/d.log`, "replay", "--pod", POD, "--cni-path", bin],
    defaultDeps({}),
  );
  assert.equal(r.exitCode, 1);
  assert.match(r.stdout, /# refused: not executed/);
  assert.match(r.stdout, /writable by group or others/);
  assert.equal(entryExistsSync(marker), false, "the plugin never ran");
});
