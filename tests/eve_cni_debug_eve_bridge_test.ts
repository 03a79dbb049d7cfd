/**
 * eve-cni-debug on attachments made by the real eve-bridge (its pod-interface flow: ADD of
 * net1 through fake-zedrouter with a long-running udhcpc), so the state files, DHCP client
 * and log lines are eve-bridge's own, not a stand-in's. Then faults are injected behind both
 * programs' backs (host veth deleted, pod MAC changed, lease file edited, pod netns gone so
 * eve-bridge's state is orphaned), and `check` and `doctor` must report each; `doctor --fix`
 * must repair the safe ones, read back from the kernel, /proc and the state dir.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { DoctorModelSchema } from "../cli/eve-cni-debug/cmd_doctor.ts";
import { CheckModelSchema } from "../cli/eve-cni-debug/cmd_check.ts";
import { LogsModelSchema } from "../cli/eve-cni-debug/cmd_logs.ts";
import { PodsModelSchema } from "../cli/eve-cni-debug/cmd_pods.ts";
import { StatusModelSchema } from "../cli/eve-cni-debug/cmd_status.ts";
import { ExitCode } from "../cli/eve-cni-debug/mod.ts";
import { deleteNetns, getLink, isAlive, setMac, systemRunner } from "../netns/mod.ts";
import { readState } from "../plugin/eve-bridge/attachment_state.ts";
import { type Sandbox, type SandboxNetns, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { APP_IP, APP_MAC, type LiveNode, startNode } from "./eve_cni_debug_harness.ts";

const TOOLS = ["udhcpc", "dnsmasq"];
const EVE_BRIDGE = new URL("../plugin/eve-bridge/main.ts", import.meta.url).pathname;
const POD = "nginx-1a2b3-x7k2p";
const CONTAINER_ID = "5e0c0ffee001";

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

interface Attached {
  live: LiveNode;
  pod: SandboxNetns;
  /** eve-bridge's own record of the attachment, read with eve-bridge's reader. */
  statePath: string;
  dhcpPid: number;
}

/**
 * A live node with one pod whose net1 eve-bridge ADDed, then `body`; eve-bridge's DEL runs
 * in finally (idempotent, so after a --fix that removed everything it still succeeds). The
 * DHCP client pid is tracked as well, so a failing test never leaves it running.
 */
async function withEveBridgePod(sb: Sandbox, body: (a: Attached) => Promise<void>) {
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
    CNI_CONTAINERID: CONTAINER_ID,
    CNI_NETNS: pod.path,
    CNI_IFNAME: "net1",
    CNI_PATH: "/usr/lib/cni",
    CNI_ARGS:
      `IgnoreUnknown=true;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=${POD};MAC=${APP_MAC}`,
  };
  const add = await eveBridge({ ...env, CNI_COMMAND: "ADD" }, config);
  try {
    assert.equal(add.code, 0, add.stdout);
    const statePath = `${live.ebStateDir}/${CONTAINER_ID}/net1.json`;
    const state = await readState(statePath);
    assert.ok(state?.dhcp, "eve-bridge recorded its DHCP client");
    sb.track(state.dhcp.pid);
    await body({ live, pod, statePath, dhcpPid: state.dhcp.pid });
  } finally {
    const del = await eveBridge({ ...env, CNI_COMMAND: "DEL" }, config);
    assert.equal(del.code, 0, del.stdout);
  }
}

async function checkJson(live: LiveNode) {
  const r = await live.debug("--json", "check", POD);
  assert.equal(r.stderr, "");
  return { exitCode: r.exitCode, model: v.parse(CheckModelSchema, JSON.parse(r.stdout)) };
}

async function doctorJson(live: LiveNode, ...extra: string[]) {
  const r = await live.debug("--json", "doctor", ...extra);
  return { exitCode: r.exitCode, model: v.parse(DoctorModelSchema, JSON.parse(r.stdout)) };
}

const findingKeys = (m: v.InferOutput<typeof DoctorModelSchema>) =>
  m.findings.map((f) => [f.kind, f.subject]);

sandboxTest("eve-cni-debug on eve-bridge's own attachment", TOOLS, async (sb) => {
  let live: LiveNode | undefined;
  await withEveBridgePod(sb, async (a) => {
    live = a.live;
    const pods = await a.live.debug("--json", "pods");
    const chains = v.parse(PodsModelSchema, JSON.parse(pods.stdout)).chains;
    assert.equal(chains.length, 1);
    const chain = chains[0]!;
    assert.equal(chain.containerId, CONTAINER_ID, "eve-bridge's state file was joined");
    assert.equal(chain.address, `${APP_IP}/24`);
    assert.deepEqual(chain.problems, []);
    assert.equal(
      chain.links.find((l) => l.step === "dhcp-client")?.detail,
      `pid ${a.dhcpPid} udhcpc`,
    );
    assert.equal(pods.exitCode, 0);

    // status counts eve-bridge's records, which sit in <stateDir>/<containerID>/.
    const status = v.parse(
      StatusModelSchema,
      JSON.parse((await a.live.debug("--json", "status", "--cni-path", "/usr/lib/cni")).stdout),
    );
    assert.deepEqual(status.stateDir, { path: a.live.ebStateDir, exists: true, files: 1 });

    const logs = v.parse(
      LogsModelSchema,
      JSON.parse((await a.live.debug("--json", "logs", "--container", "5e0c")).stdout),
    );
    assert.ok(logs.entries.some((e) => e.command === "ADD" && e.podName === POD));

    // Kill eve-bridge's DHCP client behind its back: check names the dead pid.
    Deno.kill(a.dhcpPid, "SIGKILL");
    for (let i = 0; i < 100 && isAlive(a.dhcpPid); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const check = await a.live.debug("check", POD);
    assert.equal(check.exitCode, 1);
    assert.match(check.stdout, new RegExp(`DHCP client pid ${a.dhcpPid} is not running`));
  });
  const doctor = await doctorJson(live!);
  // The veth, state files and client are gone, and so is the lease: the client that held it
  // was killed, but its events still named it, and DEL released it with a client of its own
  // (plugin/eve-bridge/dhcp/orphan_lease.ts). Nothing stale for the doctor to point at (its
  // stale-lease finding is proven below, with a lease of a stranger's MAC).
  assert.deepEqual(findingKeys(doctor.model), []);
});

sandboxTest("eve-cni-debug on eve-bridge's attachment: host veth deleted", TOOLS, async (sb) => {
  await withEveBridgePod(sb, async ({ live, pod }) => {
    await sb.exec(live.node, ["ip", "link", "del", "nbu1x1"]);
    const check = await checkJson(live);
    assert.equal(check.exitCode, ExitCode.ProblemsFound);
    const problems = check.model.results[0]!.chain.problems;
    assert.ok(problems.includes("host veth nbu1x1: missing"), problems.join("\n"));
    // The veth's pod end goes with it.
    assert.ok(problems.includes(`pod interface net1: missing in ${pod.path}`), problems.join("\n"));
    const doctor = await doctorJson(live, "--fix");
    assert.equal(doctor.exitCode, ExitCode.ProblemsFound);
    const missing = doctor.model.findings.find((f) => f.kind === "missing-veth");
    assert.deepEqual(missing && [missing.subject, missing.fix, missing.fixed], [
      `${POD}/net1`,
      null,
      null,
    ], "a live pod's lost veth is not ours to recreate: the hint says delete the pod");
  });
});

sandboxTest("eve-cni-debug on eve-bridge's attachment: pod MAC changed", TOOLS, async (sb) => {
  await withEveBridgePod(sb, async ({ live, pod }) => {
    await setMac(systemRunner, pod.ns, "net1", "02:16:3e:77:00:99");
    const check = await checkJson(live);
    assert.equal(check.exitCode, ExitCode.ProblemsFound);
    const problems = check.model.results[0]!.chain.problems;
    assert.ok(
      problems.includes(`pod interface net1: MAC is 02:16:3e:77:00:99, expected ${APP_MAC}`),
      problems.join("\n"),
    );
    const doctor = await doctorJson(live);
    assert.equal(doctor.exitCode, ExitCode.ProblemsFound);
    assert.deepEqual(findingKeys(doctor.model), [["mac-drift", `${POD}/net1`]]);
    assert.match(doctor.model.findings[0]!.message, /has MAC 02:16:3e:77:00:99, zedrouter/);
  });
});

sandboxTest("eve-cni-debug on eve-bridge's attachment: lease file edited", TOOLS, async (sb) => {
  await withEveBridgePod(sb, async ({ live }) => {
    const leaseFile = `${live.zrStateDir}/dnsmasq-ni-local.leases`;
    const text = await Deno.readTextFile(leaseFile);
    assert.ok(text.includes(` ${APP_MAC} ${APP_IP} `), text);
    // The pod's lease now names a MAC nobody has: the pod has no lease, the lease no pod.
    const stranger = "02:16:3e:77:00:aa";
    const edit = () => Deno.writeTextFile(leaseFile, text.replace(` ${APP_MAC} `, ` ${stranger} `));
    await edit();
    const check = await checkJson(live);
    assert.equal(check.exitCode, ExitCode.ProblemsFound);
    assert.deepEqual(check.model.results[0]!.chain.problems, [
      `no lease for MAC ${APP_MAC} in ${leaseFile}`,
    ]);
    await edit(); // dnsmasq may have rewritten its lease file in between
    const doctor = await doctorJson(live);
    assert.equal(doctor.exitCode, ExitCode.ProblemsFound);
    assert.deepEqual(findingKeys(doctor.model), [["stale-lease", `${stranger} ${APP_IP}`]]);
  });
});

sandboxTest(
  "eve-cni-debug on eve-bridge's attachment: state orphaned, --fix",
  TOOLS,
  async (sb) => {
    await withEveBridgePod(sb, async ({ live, pod, statePath, dhcpPid }) => {
      // The runtime lost the pod without a DEL: its netns goes, eve-bridge's udhcpc lives on
      // (it holds the namespace), zedrouter keeps the attachment, eve-bridge its state.
      await deleteNetns(systemRunner, pod.name);
      const before = await doctorJson(live);
      assert.equal(before.exitCode, ExitCode.ProblemsFound);
      assert.deepEqual(findingKeys(before.model).map(([k]) => k).sort(), [
        "departed-pod",
        "orphan-dhcp-client",
      ]);
      const check = await checkJson(live);
      assert.equal(check.exitCode, ExitCode.ProblemsFound);
      assert.ok(
        check.model.results[0]!.chain.problems.includes(`pod netns ${pod.path} does not exist`),
      );

      const fixed = await doctorJson(live, "--fix");
      assert.equal(fixed.exitCode, ExitCode.Ok, JSON.stringify(fixed.model.remaining));
      // DisconnectPod, then (next round) the state file that left without a pod; the client.
      assert.deepEqual(findingKeys(fixed.model).map(([k]) => k).sort(), [
        "departed-pod",
        "orphan-dhcp-client",
        "orphan-state-file",
      ]);
      for (const f of fixed.model.findings) {
        assert.equal(f.fixed?.done, true, `${f.kind}: ${f.fixed?.message}`);
      }
      // Read back: the client is gone, so are the host veth and every file of the attachment.
      assert.equal(isAlive(dhcpPid), false);
      assert.equal(await getLink(systemRunner, live.node.ns, "nbu1x1"), undefined);
      await assert.rejects(Deno.stat(statePath), Deno.errors.NotFound);
      await assert.rejects(Deno.stat(`${live.ebStateDir}/${CONTAINER_ID}`), Deno.errors.NotFound);
      const after = await doctorJson(live);
      assert.deepEqual(after.model.findings, []);
      assert.equal(after.exitCode, ExitCode.Ok);
    });
  },
);
