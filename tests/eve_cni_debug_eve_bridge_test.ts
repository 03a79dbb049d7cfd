/**
 * eve-cni-debug on attachments made by the real eve-bridge (its pod-interface flow: ADD of
 * net1 through fake-zedrouter with a long-running udhcpc), so the state files, DHCP client
 * and log lines are eve-bridge's own, not a stand-in's. Skipped (with the reason) while
 * eve-bridge's plugin.ts does not route non-eth0 interfaces to the pod-interface handler.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { ChainSchema } from "../cli/eve-cni-debug/chain.ts";
import { DoctorModelSchema } from "../cli/eve-cni-debug/cmd_doctor.ts";
import { LogsModelSchema } from "../cli/eve-cni-debug/cmd_logs.ts";
import { StatusModelSchema } from "../cli/eve-cni-debug/cmd_status.ts";
import { isAlive } from "../netns/mod.ts";
import { skipReason, withSandbox } from "./sandbox.ts";
import { APP_IP, APP_MAC, startNode } from "./fixtures/eve_cni_debug/live_env.ts";

const PLUGIN_SOURCE = await Deno.readTextFile(
  new URL("../plugin/eve_bridge/plugin.ts", import.meta.url),
);
const wired = PLUGIN_SOURCE.includes("podInterfaceHandler");
const reason = skipReason("udhcpc", "dnsmasq") ??
  (wired ? undefined : "eve-bridge's pod-interface flow is not wired yet");
const EVE_BRIDGE = new URL("../cli/eve_bridge.ts", import.meta.url).pathname;
const POD = "nginx-1a2b3-x7k2p";

async function eveBridge(env: Record<string, string>, config: unknown) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EVE_BRIDGE],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(config)));
  await w.close();
  const out = await child.output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test({
  name: `eve-cni-debug on eve-bridge's own attachment${reason ? ` (skipped: ${reason})` : ""}`,
  ignore: reason !== undefined,
  fn: () =>
    withSandbox(async (sb) => {
      const live = await startNode(sb);
      const pod = await sb.netns("pod1");
      const config = {
        cniVersion: "1.0.0",
        name: "ni-local",
        type: "eve-bridge",
        zedrouterSocket: live.socket,
        stateDir: live.ebStateDir,
        logFile: live.logFile,
      };
      const env = {
        CNI_CONTAINERID: "5e0c0ffee001",
        CNI_NETNS: pod.path,
        CNI_IFNAME: "net1",
        CNI_PATH: "/usr/lib/cni",
        CNI_ARGS:
          `IgnoreUnknown=true;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=${POD};MAC=${APP_MAC}`,
      };
      let added = false;
      try {
        const add = await eveBridge({ ...env, CNI_COMMAND: "ADD" }, config);
        assert.equal(add.code, 0, add.stdout);
        added = true;

        const pods = await live.debug("--json", "pods");
        const chains = v.parse(v.object({ chains: v.array(ChainSchema) }), JSON.parse(pods.stdout))
          .chains;
        assert.equal(chains.length, 1);
        const chain = chains[0]!;
        assert.equal(chain.containerId, env.CNI_CONTAINERID, "eve-bridge's state file was joined");
        assert.equal(chain.address, `${APP_IP}/24`);
        assert.deepEqual(chain.problems, []);
        assert.equal(chain.links.find((l) => l.step === "dhcp-client")?.status, "ok");
        assert.equal(pods.exitCode, 0);

        // status counts eve-bridge's records, which sit in <stateDir>/<containerID>/.
        const status = v.parse(
          StatusModelSchema,
          JSON.parse((await live.debug("--json", "status", "--cni-path", "/usr/lib/cni")).stdout),
        );
        assert.deepEqual(status.stateDir, { path: live.ebStateDir, exists: true, files: 1 });

        const logs = v.parse(
          LogsModelSchema,
          JSON.parse((await live.debug("--json", "logs", "--container", "5e0c")).stdout),
        );
        assert.ok(logs.entries.some((e) => e.command === "ADD" && e.podName === POD));

        // Kill eve-bridge's DHCP client behind its back: check names the dead pid.
        const dhcpLink = chain.links.find((l) => l.step === "dhcp-client")!;
        const pid = Number(/pid (\d+)/.exec(dhcpLink.detail)?.[1]);
        Deno.kill(pid, "SIGKILL");
        for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
        const check = await live.debug("check", POD);
        assert.equal(check.exitCode, 1);
        assert.match(check.stdout, new RegExp(`DHCP client pid ${pid} is not running`));
      } finally {
        if (added) await eveBridge({ ...env, CNI_COMMAND: "DEL" }, config);
      }
      const doctor = v.parse(
        DoctorModelSchema,
        JSON.parse((await live.debug("--json", "doctor")).stdout),
      );
      // The veth, state files and client are gone; the lease stays, because the client
      // that would have released it was killed: exactly what the doctor should point at.
      assert.deepEqual(doctor.findings.map((f) => [f.kind, f.subject]), [
        ["stale-lease", `${APP_MAC} ${APP_IP}`],
      ]);
    }),
});
