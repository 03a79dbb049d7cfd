/**
 * eve-cni-debug against a live node: fake-zedrouter in a sandbox namespace, pods attached
 * through the real RPC with real DHCP, then faults injected behind everyone's back. Each
 * test asserts on what `check` and `doctor` report and, for --fix, on the state read back
 * from the kernel, /proc and the file system afterwards.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { deleteNetns, getLink, isAlive, setMac, systemRunner } from "../netns/mod.ts";
import { CheckModelSchema } from "../cli/eve-cni-debug/cmd_check.ts";
import { DoctorModelSchema } from "../cli/eve-cni-debug/cmd_doctor.ts";
import { PodsModelSchema } from "../cli/eve-cni-debug/cmd_pods.ts";
import { ExitCode } from "../cli/eve-cni-debug/mod.ts";
import { readProcessFacts } from "../core/eve/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  APP2_MAC,
  APP_IP,
  APP_MAC,
  attachPod,
  type LiveNode,
  startNode,
} from "./eve_cni_debug_harness.ts";

const TOOLS = ["udhcpc", "dnsmasq"];
const POD = "nginx-1a2b3-x7k2p";

async function doctorJson(live: LiveNode, ...extra: string[]) {
  const r = await live.debug("--json", "doctor", ...extra);
  return { exitCode: r.exitCode, model: v.parse(DoctorModelSchema, JSON.parse(r.stdout)) };
}

async function checkJson(live: LiveNode, pod: string) {
  const r = await live.debug("--json", "check", pod);
  assert.equal(r.stderr, "");
  return { exitCode: r.exitCode, model: v.parse(CheckModelSchema, JSON.parse(r.stdout)) };
}

function kinds(model: v.InferOutput<typeof DoctorModelSchema>): string[] {
  return model.findings.map((f) => f.kind).sort();
}

sandboxTest("eve-cni-debug live: a clean node reports nothing", TOOLS, async (sb) => {
  const live = await startNode(sb);
  await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  await attachPod(live, { role: "pod2", podName: "redis-2b3c4-abcde", mac: APP2_MAC });

  const pods = await live.debug("--json", "pods");
  assert.equal(pods.exitCode, 0, pods.stdout);
  const podsModel = v.parse(PodsModelSchema, JSON.parse(pods.stdout));
  assert.deepEqual(podsModel.zedrouter, { reachable: true, source: "inspect", note: null });
  const chains = podsModel.chains;
  assert.deepEqual(chains.map((c) => [c.podName, c.ifname, c.ok]), [
    [POD, "net1", true],
    ["redis-2b3c4-abcde", "net1", true],
  ]);
  const nginx = chains[0]!;
  assert.equal(nginx.address, `${APP_IP}/24`);
  assert.deepEqual(
    nginx.links.map((l) => l.status),
    ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"],
  );

  const check = await checkJson(live, POD);
  assert.equal(check.exitCode, 0);
  assert.equal(check.model.results[0]?.rpc.ok, true);

  const doctor = await doctorJson(live);
  assert.equal(doctor.exitCode, 0);
  assert.deepEqual(doctor.model.findings, []);
  const human = await live.debug("doctor");
  assert.equal(human.stdout, "No leaks or drift found\n");

  // A pod with no attachment is a problem found (1) with a message, not a usage error (2).
  for (const cmd of ["show", "check"]) {
    const none = await live.debug(cmd, "no-such-pod");
    assert.equal(none.exitCode, ExitCode.ProblemsFound, `${cmd}: ${none.stderr}`);
    assert.match(none.stderr, /No attachment of pod "no-such-pod": neither zedrouter nor/);
    const noIf = await live.debug(cmd, POD, "net7");
    assert.equal(noIf.exitCode, ExitCode.ProblemsFound, `${cmd}: ${noIf.stderr}`);
    assert.match(noIf.stderr, new RegExp(`No attachment of pod "${POD}" interface "net7"`));
  }
});

sandboxTest("eve-cni-debug live: deleted host veth", TOOLS, async (sb) => {
  const live = await startNode(sb);
  await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  await sb.exec(live.node, ["ip", "link", "del", "nbu1x1"]);

  const check = await checkJson(live, POD);
  assert.equal(check.exitCode, 1);
  const problems = check.model.results[0]!.chain.problems;
  assert.ok(problems.includes("host veth nbu1x1: missing"), problems.join("\n"));
  assert.ok(
    problems.includes("pod interface net1: missing in " + `/var/run/netns/${sb.prefix}-pod1`),
  );
  assert.equal(check.model.results[0]!.rpc.ok, false, "zedrouter's own check fails too");

  const doctor = await doctorJson(live);
  assert.equal(doctor.exitCode, 1);
  assert.ok(kinds(doctor.model).includes("missing-veth"), kinds(doctor.model).join());
});

sandboxTest("eve-cni-debug live: killed DHCP client", TOOLS, async (sb) => {
  const live = await startNode(sb);
  const pod = await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  Deno.kill(pod.dhcpPid, "SIGKILL");
  for (let i = 0; i < 100 && isAlive(pod.dhcpPid); i++) await new Promise((r) => setTimeout(r, 20));

  const check = await checkJson(live, POD);
  assert.equal(check.exitCode, 1);
  assert.deepEqual(check.model.results[0]!.chain.problems, [
    `DHCP client pid ${pod.dhcpPid} is not running`,
  ]);
  const doctor = await doctorJson(live);
  assert.deepEqual(kinds(doctor.model), ["dead-dhcp-client"]);
  assert.equal(doctor.model.findings[0]!.fix, null, "a live pod's client is not 'fixed' by us");
});

sandboxTest("eve-cni-debug live: MAC changed and lease file edited", TOOLS, async (sb) => {
  const live = await startNode(sb);
  const pod = await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  await setMac(systemRunner, pod.netns.ns, "net1", "02:16:3e:77:00:99");
  const leaseFile = `${live.zrStateDir}/dnsmasq-ni-local.leases`;
  const text = await Deno.readTextFile(leaseFile);
  assert.ok(text.includes(APP_IP), text);
  const edit = () => Deno.writeTextFile(leaseFile, text.replace(` ${APP_IP} `, " 10.77.12.99 "));
  await edit();

  const check = await checkJson(live, POD);
  assert.equal(check.exitCode, 1);
  const problems = check.model.results[0]!.chain.problems;
  assert.ok(
    problems.includes(`pod interface net1: MAC is 02:16:3e:77:00:99, expected ${APP_MAC}`),
    problems.join("\n"),
  );
  assert.ok(
    problems.includes(`lease for MAC ${APP_MAC} is 10.77.12.99, reservation is ${APP_IP}`),
    problems.join("\n"),
  );
  await edit(); // dnsmasq may have rewritten its lease file in between
  const human = await live.debug("check", POD);
  assert.match(human.stdout, /PROBLEM +pod interface/);
  assert.match(human.stdout, /-> lease for MAC 02:16:3e:77:00:01 is 10\.77\.12\.99/);
});

sandboxTest("eve-cni-debug live: leaks found and the safe ones fixed", TOOLS, async (sb) => {
  const live = await startNode(sb);
  await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  const gone = await attachPod(live, { role: "pod2", podName: "redis-2b3c4-abcde", mac: APP2_MAC });
  // An orphan veth on the NI bridge, as a lost DEL leaves behind.
  await sb.exec(live.node, ["ip", "link", "add", "nbu9x9", "type", "veth", "peer", "name", "tmp9"]);
  await sb.exec(live.node, ["ip", "link", "set", "nbu9x9", "master", "bn1"]);
  // A state file whose pod is long gone (no netns, no attachment).
  const orphanDir = `${live.ebStateDir}/deadbeef`;
  const orphanState = `${orphanDir}/net1.json`;
  await Deno.mkdir(orphanDir);
  await Deno.writeTextFile(`${orphanDir}/net1.events`, "");
  await Deno.writeTextFile(
    orphanState,
    JSON.stringify({
      containerID: "deadbeef",
      ifname: "net1",
      podName: "old-pod",
      netnsPath: `/var/run/netns/${sb.prefix}-never`,
    }),
  );
  // The redis pod's netns disappears while its DHCP client still runs inside it.
  await deleteNetns(systemRunner, gone.netns.name);

  const before = await doctorJson(live);
  assert.equal(before.exitCode, 1);
  assert.deepEqual(kinds(before.model), [
    "departed-pod",
    "orphan-dhcp-client",
    "orphan-state-file",
    "orphan-veth",
  ]);
  assert.deepEqual(before.model.remaining.length, 4);
  const human = await live.debug("doctor");
  assert.match(
    human.stdout,
    /orphan-veth: host veth nbu9x9 is a port of bn1 but no attachment owns it/,
  );
  assert.match(human.stdout, /fixable with --fix \(delete-link\)/);

  const fixed = await doctorJson(live, "--fix");
  assert.equal(fixed.exitCode, 0, JSON.stringify(fixed.model.remaining));
  for (const f of fixed.model.findings) {
    assert.equal(f.fixed?.done, true, `${f.kind}: ${f.fixed?.message}`);
  }
  // Read back: the veth, the process and the file are gone; the healthy pod is untouched.
  assert.equal(await getLink(systemRunner, live.node.ns, "nbu9x9"), undefined);
  assert.equal(isAlive(gone.dhcpPid), false);
  await assert.rejects(Deno.stat(orphanDir), Deno.errors.NotFound, "record, events and dir gone");
  assert.ok(await getLink(systemRunner, live.node.ns, "nbu1x1"));

  // DisconnectPod removed zedrouter's attachment of the departed pod, and a later round
  // the redis state file that this left without a pod.
  await assert.rejects(Deno.stat(gone.statePath), Deno.errors.NotFound);
  const after = await doctorJson(live);
  assert.equal(after.exitCode, 0);
  assert.deepEqual(after.model.findings, []);
  const check = await checkJson(live, POD);
  assert.equal(check.exitCode, 0, "the healthy pod is still whole");
});

sandboxTest("eve-cni-debug live: two generations of one app, duplicate MAC", TOOLS, async (sb) => {
  const live = await startNode(sb);
  const old = await attachPod(live, { role: "old", podName: "nginx-1a2b3-aaaaa", mac: APP_MAC });
  // The replacement pod of the same app: zedrouter moves the adapter to it; the old pod
  // lives on with its eve-bridge state and DHCP client.
  await attachPod(live, { role: "new", podName: POD, mac: APP_MAC });
  const redis = await attachPod(live, {
    role: "redis",
    podName: "redis-2b3c4-abcde",
    mac: APP2_MAC,
  });
  await setMac(systemRunner, redis.netns.ns, "net1", APP_MAC);

  const doctor = await doctorJson(live);
  assert.equal(doctor.exitCode, 1);
  const two = doctor.model.findings.find((f) => f.kind === "two-generations");
  assert.ok(two, kinds(doctor.model).join());
  assert.match(
    two.message,
    /nginx-1a2b3-aaaaa, nginx-1a2b3-x7k2p \(zedrouter is bound to nginx-1a2b3-x7k2p\)/,
  );
  const dup = doctor.model.findings.find((f) => f.kind === "duplicate-mac");
  assert.ok(dup, kinds(doctor.model).join());
  assert.equal(dup.subject, APP_MAC);

  // The old pod's chain says zedrouter no longer knows its interface.
  const show = await live.debug("show", "nginx-1a2b3-aaaaa");
  assert.equal(show.exitCode, 1);
  assert.match(show.stdout, /zedrouter has no attachment for nginx-1a2b3-aaaaa interface net1/);
  assert.ok(isAlive(old.dhcpPid), "the doctor touches nothing without --fix");
});

sandboxTest("eve-cni-debug live: zedrouter down, facts from its state dir", TOOLS, async (sb) => {
  const live = await startNode(sb);
  await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  const r = await live.debug("--socket", `${sb.dir}/absent.sock`, "pods");
  assert.equal(r.exitCode, 0, r.stdout);
  assert.match(
    r.stdout,
    /nginx-1a2b3-x7k2p +net1 +bn1 +nbu1x1 +02:16:3e:77:00:01 +10\.77\.12\.50\/24 +ok/,
  );
  assert.match(r.stdout, /note: zedrouter facts from zedrouter's state file: Cannot connect to/);
  const check = await live.debug("--socket", `${sb.dir}/absent.sock`, "check", POD);
  assert.equal(check.exitCode, 3, "CheckPodConnection cannot be asked");
  const nothing = await live.debug(
    "--socket",
    `${sb.dir}/absent.sock`,
    "--zedrouter-state-dir",
    `${sb.dir}/none`,
    "doctor",
  );
  assert.equal(nothing.exitCode, 3);
  // Exit 3 says so: never the clean-node verdict the checks it skipped could not back.
  assert.doesNotMatch(nothing.stdout, /^No leaks or drift found$/m);
  assert.match(nothing.stdout, /^zedrouter could not be reached: Cannot connect to/m);
  assert.match(
    nothing.stdout,
    /Not checked \(they need zedrouter's view\): orphan-veth, missing-veth, departed-pod, mac-drift, stale-lease/,
  );

  // With no zedrouter view at all (EVE's zedrouter, no state dir), eve-bridge's record is
  // still checked against the kernel: interface, MAC, leased address, DHCP client.
  const blind = await live.debug(
    "--socket",
    `${sb.dir}/absent.sock`,
    "--zedrouter-state-dir",
    `${sb.dir}/none`,
    "--json",
    "show",
    POD,
  );
  const blindModel = v.parse(PodsModelSchema, JSON.parse(blind.stdout));
  assert.equal(blindModel.zedrouter.source, "none");
  const chain = blindModel.chains[0]!;
  assert.deepEqual(chain.links.map((l) => [l.step, l.status]), [
    ["pod", "ok"],
    ["app", "unknown"],
    ["pod-interface", "ok"],
    ["dhcp-client", "ok"],
  ]);
});

sandboxTest("eve-cni-debug live: a DHCP client whose state file vanished", TOOLS, async (sb) => {
  const live = await startNode(sb);
  const pod = await attachPod(live, { role: "pod1", podName: POD, mac: APP_MAC });
  await Deno.remove(pod.statePath);

  const before = await doctorJson(live);
  const stray = before.model.findings.find((f) => f.kind === "orphan-dhcp-client");
  assert.ok(stray, kinds(before.model).join());
  assert.equal(stray.subject, `pid ${pod.dhcpPid}`);
  assert.deepEqual(stray.fix, {
    action: "stop-pid",
    pid: pod.dhcpPid,
    pidFile: pod.statePath.replace(/\.json$/, ".pid"),
    startTime: readProcessFacts(pod.dhcpPid)!.startTime,
  });

  const fixed = await doctorJson(live, "--fix");
  assert.equal(fixed.exitCode, 0, JSON.stringify(fixed.model.remaining));
  assert.equal(isAlive(pod.dhcpPid), false, "the stray client was stopped");
});
