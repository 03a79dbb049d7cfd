/**
 * eve-bridge's pod interface refuses what zedrouter cannot serve before it touches anything,
 * and a hung zedrouter costs ADD a bounded wait (issue 12 items 5, 7 and 8), with the BUILT
 * plugin and the real fake-zedrouter:
 * - no K8S_POD_NAME, or a multicast, broadcast, all-zero or 7-byte MAC from runtimeConfig or
 *   args: refused with the field's name, nothing made in the state dir, zedrouter never
 *   asked;
 * - zedrouter stopped (SIGSTOP): ADD fails with code 11 naming ConnectPodAtL2 and the
 *   deadline; the rollback tries DisconnectPod once, within its one deadline (not twice more);
 *   once zedrouter runs again the queued DisconnectPod undoes the L2 it carried out late.
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
import { eventually } from "./poll.ts";

sandboxTest(
  "eve-bridge pod: a missing pod name and loose MACs are refused before anything is made",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr, stateDir }) => {
      const pod = await sb.netns("pod1");
      const call = { node, pod, containerId: "c-strict", podName: WEB_POD };
      const cases: [string, Record<string, unknown>, Partial<typeof call>, number, RegExp][] = [
        ["no K8S_POD_NAME", podConfig(sb.dir, zr, WEB_MAC), { podName: "" }, 4, /K8S_POD_NAME/],
        [
          "multicast runtimeConfig.mac",
          podConfig(sb.dir, zr, "01:00:5e:00:00:01"),
          {},
          7,
          /Invalid runtimeConfig\.mac "01:00:5e:00:00:01".*multicast address/,
        ],
        [
          "broadcast args.cni.mac",
          podConfig(sb.dir, zr, undefined, { args: { cni: { mac: "ff:ff:ff:ff:ff:ff" } } }),
          {},
          7,
          /Invalid args\.cni\.mac .*broadcast address/,
        ],
        [
          "all-zero runtimeConfig.mac",
          podConfig(sb.dir, zr, "00:00:00:00:00:00"),
          {},
          7,
          /00:00:00:00:00:00 is no interface's address/,
        ],
        [
          "7-byte runtimeConfig.mac",
          podConfig(sb.dir, zr, `${WEB_MAC}:01`),
          {},
          7,
          /exactly 6 bytes.*got 7 bytes/,
        ],
      ];
      for (const [what, config, change, code, msg] of cases) {
        const out = failed(await runPod("ADD", { ...call, ...change }, config), what);
        assert.equal(out.code, code, `${what}: ${JSON.stringify(out)}`);
        assert.match(`${out.msg} ${out.details}`, msg, what);
        // The state dir itself may exist (its trust check makes it); nothing is made in it.
        const made = await Array.fromAsync(Deno.readDir(stateDir)).catch(() => []);
        assert.deepEqual(made, [], `${what}: nothing in the state dir`);
        assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined, what);
      }
      const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
      assert.deepEqual(attachments, [], "zedrouter attached nothing");
    });
  },
);

sandboxTest(
  "eve-bridge pod: a hung zedrouter fails ADD with code 11, one bounded DisconnectPod",
  TOOLS,
  async (sb) => {
    await withPodNode(sb, async ({ node, zr }) => {
      const pod = await sb.netns("pod1");
      const config = podConfig(sb.dir, zr, WEB_MAC);
      const call = { node, pod, containerId: "c-hung", podName: WEB_POD };
      zr.signal("SIGSTOP");
      let out;
      try {
        out = failed(await runPod("ADD", call, config), "ADD against a stopped zedrouter");
      } finally {
        zr.signal("SIGCONT");
      }
      assert.equal(out.code, 11, JSON.stringify(out));
      assert.match(out.msg, /zedrouter is not reachable on ".*" \(ConnectPodAtL2\)/);
      assert.match(out.details, /No reply to RPCServer\.ConnectPodAtL2 .* within 10000 ms/);
      const log = await Deno.readTextFile(String(config.logFile));
      const lines = log.split("\n").filter((l) => l.includes('"c-hung"'));
      const failures = lines.filter((l) => /zedrouter \\"?DisconnectPod\\"? failed/.test(l));
      assert.equal(
        failures.length,
        1,
        `one DisconnectPod try, not a second on a fresh dial:\n${failures.join("\n")}`,
      );
      // Its deadline is what was left of the rollback's one budget: at most one call timeout.
      const waited = Number(/within (\d+) ms/.exec(failures[0] ?? "")?.[1]);
      assert.ok(waited > 0 && waited <= 10000, failures[0]);
      assert.ok(lines.some((l) => /Rollback step .*DisconnectPod.* failed/.test(l)));
      assert.ok(
        lines.findIndex((l) => /Rollback step/.test(l)) <
          lines.findIndex((l) => /Failed .*ADD.*code 11/.test(l)),
        "rolled back before ADD returned",
      );
      // Awake again, zedrouter serves what was queued: ConnectPodAtL2, then the DisconnectPod
      // the rollback sent behind it on the same connection.
      await eventually("the late L2 undone", async () => {
        const { attachments } = await inspect(zr.socket, "Inspect.Attachments");
        const link = await getLink(systemRunner, pod.ns, "net1");
        return attachments.length === 0 && link === undefined ? true : undefined;
      });
      ok(await runPod("DEL", call, config), "the runtime's DEL");
    });
  },
);
