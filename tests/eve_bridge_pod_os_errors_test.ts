/**
 * OS errors keep their cause (issue 12 item 6), with the BUILT plugin and the real
 * fake-zedrouter: the state dir read-only (EROFS) or full (ENOSPC) is code 5 naming the
 * errno, the path and what to do, never 100 "failed unexpectedly" nor a DHCP 106; what ADD
 * made is rolled back. The file systems exist only in the plugin's own private mount
 * namespace (unshare), so the node's mounts are never touched; mode 0700 keeps the state dir
 * a trusted directory (core/trusted_dir.ts), as a tmpfs's default 1777 would not be.
 */
import assert from "node:assert/strict";
import { getLink, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { inspect } from "./fake_zedrouter_harness.ts";
import {
  failed,
  ok,
  podConfig,
  runPod,
  TOOLS,
  WEB_MAC,
  WEB_POD,
  withPodNode,
} from "./eve_bridge_pod_harness.ts";

/**
 * argv prefix: the plugin runs in a private mount namespace where `dir` is a tmpfs mounted
 * with `options`, first filled to the last byte when `fill`. Arguments go to sh as "$@",
 * never into the script's text.
 */
function onTmpfs(dir: string, options: string, fill: boolean): string[] {
  const script = 'mount -t tmpfs -o "$1" evetest-tmpfs "$2" || exit 97\n' +
    'if [ "$3" = fill ]; then cat /dev/zero > "$2/fill" 2>/dev/null; fi\n' +
    'shift 3\nexec "$@"';
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
    "sh",
    options,
    dir,
    fill ? "fill" : "-",
  ];
}

sandboxTest(
  "eve-bridge pod: a read-only or full state dir is code 5 with errno, path and fix",
  [...TOOLS, "unshare"],
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      const pod = await sb.netns("pod1");
      await Deno.mkdir(stateDir, { recursive: true });
      const config = podConfig(sb.dir, zr, WEB_MAC);
      const cases = [
        {
          errno: "EROFS",
          options: "ro,size=64k,mode=0700",
          fill: false,
          fix: /remount it read-write/,
        },
        { errno: "ENOSPC", options: "size=16k,mode=0700", fill: true, fix: /free space/ },
      ];
      for (const { errno, options, fill, fix } of cases) {
        const call = {
          node,
          pod,
          containerId: `c-${errno.toLowerCase()}`,
          podName: WEB_POD,
          prefix: onTmpfs(stateDir, options, fill),
        };
        const out = failed(await runPod("ADD", call, config), `ADD with ${errno}`);
        assert.equal(out.code, 5, JSON.stringify(out));
        assert.equal(out.msg, `An operating-system call failed with ${errno}`);
        assert.ok(out.details.startsWith(`${errno}: `), out.details);
        assert.ok(out.details.includes(stateDir), `the path is named: ${out.details}`);
        assert.match(out.details, fix);
        assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined, `${errno}: no net1`);
        const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
        assert.deepEqual(attachments, [], `${errno}: zedrouter holds nothing`);
        // The runtime's DEL (state dir writable again) finishes.
        ok(await runPod("DEL", { ...call, prefix: [] }, config), `DEL after ${errno}`);
      }
    });
  },
);
