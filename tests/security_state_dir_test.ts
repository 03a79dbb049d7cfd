/**
 * Issue 17, item 1: udhcpc runs eve-bridge's hook scripts as root from `stateDir`, so an
 * unprivileged user (`nobody`) who can write there must never get a script of theirs run.
 * A 1777 or 0777 state dir is refused (code 7, naming it) before anything is written or
 * started; in a trusted dir a script left by another user is replaced by ours before udhcpc
 * starts. The planted script records `id -u` when run: that file must never appear.
 */
import assert from "node:assert/strict";
import { entryExistsSync } from "../core/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  dhcpClientsOf,
  exec,
  failed,
  ok,
  podConfig,
  runPod,
  TOOLS,
  WEB_MAC,
  WEB_POD,
  withPodNode,
} from "./eve_bridge_pod_harness.ts";

const NOBODY = "65534";
const HOOKS = ["udhcpc-hook.sh", "udhcpc-report.sh"];

/** Runs argv as nobody (setpriv, no shell of ours). */
async function asNobody(argv: string[]): Promise<void> {
  const out = await exec([
    "setpriv",
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "--",
    ...argv,
  ]);
  assert.equal(out.code, 0, `as nobody: ${argv.join(" ")}: ${out.stderr}`);
}

/** nobody's script: leaves `<dir>/ran-as` with the uid that ran it. */
function plantedScript(dir: string): string {
  return `#!/bin/sh\nid -u > '${dir}/ran-as'\nexit 0\n`;
}

async function plant(dir: string): Promise<void> {
  for (const name of HOOKS) {
    // tee as nobody: the file is created by nobody, as an attacker would.
    await asNobody([
      "sh",
      "-c",
      'printf "%s" "$1" > "$2" && chmod 0755 "$2"',
      "plant",
      plantedScript(dir),
      `${dir}/${name}`,
    ]);
  }
}

sandboxTest(
  "security: a 1777 or 0777 state dir is refused, nobody's hook never runs",
  TOOLS,
  async (sb) => {
    // nobody must reach the shared dirs below the sandbox's private one.
    await Deno.chmod(sb.dir, 0o755);
    await withPodNode(sb, async ({ node, zr }) => {
      const pod = await sb.netns("pod");
      for (const mode of [0o1777, 0o777]) {
        const stateDir = `${sb.dir}/shared-${mode.toString(8)}`;
        await Deno.mkdir(stateDir);
        await Deno.chmod(stateDir, mode);
        await plant(stateDir);
        const config = { ...podConfig(sb.dir, zr, WEB_MAC), stateDir };
        const call = { node, pod, containerId: `c-${mode.toString(8)}`, podName: WEB_POD };
        const err = failed(
          await runPod("ADD", call, config),
          `ADD with a ${mode.toString(8)} stateDir`,
        );
        assert.equal(err.code, 7);
        assert.match(err.msg, /"stateDir" is not in a trusted directory/);
        assert.ok(err.msg.includes(stateDir), err.msg);
        assert.deepEqual(await dhcpClientsOf(stateDir), [], "no udhcpc started");
        assert.equal(
          entryExistsSync(`${stateDir}/${call.containerId}`),
          false,
          "nothing written there",
        );
        // DEL and CHECK are refused the same way: they would signal pids and run the hook.
        assert.equal(failed(await runPod("DEL", call, config), "DEL").code, 7);
        assert.equal(entryExistsSync(`${stateDir}/ran-as`), false, "the planted script never ran");
        for (const name of HOOKS) assert.equal(Deno.lstatSync(`${stateDir}/${name}`).uid, 65534);
      }
    });
  },
);

sandboxTest(
  "security: nobody's script left in a trusted state dir is replaced before use",
  TOOLS,
  async (sb) => {
    await Deno.chmod(sb.dir, 0o755);
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      // The dir was 1777 when nobody planted the scripts; the operator then fixed its mode.
      await Deno.mkdir(stateDir);
      await Deno.chmod(stateDir, 0o1777);
      await plant(stateDir);
      await Deno.chmod(stateDir, 0o700);
      const pod = await sb.netns("pod");
      const call = { node, pod, containerId: "c-web", podName: WEB_POD };
      const config = podConfig(sb.dir, zr, WEB_MAC);
      const result = ok(await runPod("ADD", call, config), "ADD");
      assert.ok(Array.isArray(result.ips) && result.ips.length === 1, "leased through our hook");
      for (const name of HOOKS) {
        const info = Deno.lstatSync(`${stateDir}/${name}`);
        assert.equal(info.uid, 0, `${name} is root's`);
        assert.equal((info.mode ?? 0) & 0o7777, 0o755);
        assert.ok(!Deno.readTextFileSync(`${stateDir}/${name}`).includes("ran-as"));
      }
      ok(await runPod("DEL", call, config), "DEL");
      assert.deepEqual(await dhcpClientsOf(stateDir), []);
      assert.equal(entryExistsSync(`${stateDir}/ran-as`), false, "the planted script never ran");
    });
  },
);
