/**
 * `./run demo`: the whole toolkit on this machine, in throwaway namespaces. A sandbox node
 * namespace runs the BUILT fake-zedrouter on its built-in config (a local NI, an air-gapped
 * switch NI, two apps); two pods are attached through the built eve-bridge the way kubelet +
 * Multus do it (libcni via cnidrive; the plugin invoked directly with CNI env if cnidrive
 * cannot be built), they ping each other, eve-cni-debug shows the attachments, and everything
 * is torn down again (also on failure and on Ctrl-C). Needs root; changes nothing outside
 * the namespaces it creates.
 *
 * `./run demo --ovs` adds the optional Open vSwitch part at the end (scripts/demo_ovs.ts):
 * userspace OVS daemons for the node, an OVS-backed NI applied, a third pod on it that gets
 * its lease and pings; the daemons are stopped by pid after fake-zedrouter.
 *
 * The node, pods and leak checks are scripts/sandbox/, which the end-to-end tests use too:
 * the demo is the same node, narrated.
 */
import { withSandbox } from "./sandbox/sandbox.ts";
import { type E2eNode, startNode } from "./sandbox/node.ts";
import {
  type Attachment,
  cni,
  type CniResultJson,
  type CniRun,
  createPod,
  type E2ePod,
  multusArgs,
} from "./sandbox/pod.ts";
import { findLeaks, stopStrayDhcpClients } from "./sandbox/leaks.ts";
import {
  CNI_BIN,
  EVE_BRIDGE,
  EVE_CNI_DEBUG,
  FAKE_ZEDROUTER,
  findCnidrive,
  isFile,
  REFERENCE_PLUGINS,
} from "./sandbox/paths.ts";
import { getLink, listAddrs, systemRunner } from "../netns/mod.ts";
import type { ResultOf } from "../rpc/mod.ts";
import { findTool } from "./sandbox/sandbox.ts";
import { type DemoKit, demoOvsMissing, OVS_STEPS, ovsPart, startDemoOvs } from "./demo_ovs.ts";
import type { OvsDaemons } from "../netns/mod.ts";

/** `--ovs`: the optional OVS part. Any other argument is a usage error (exit 2). */
const args = [...Deno.args];
const withOvs = args.includes("--ovs");
const unknown = args.filter((a) => a !== "--ovs");
if (unknown.length) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(`usage: ./run demo [--ovs]  (unknown: ${unknown.join(" ")})\n`),
  );
  Deno.exit(2);
}

const encoder = new TextEncoder();
function say(line = ""): void {
  Deno.stdout.writeSync(encoder.encode(`${line}\n`));
}
const TOTAL_STEPS = 9 + (withOvs ? OVS_STEPS : 0);
let stepNo = 0;
function heading(text: string): void {
  stepNo += 1;
  say(`\n==> [${stepNo}/${TOTAL_STEPS}] ${text}`);
}
function detail(text: string): void {
  for (const line of text.split("\n")) say(`    ${line}`);
}

class DemoFailure extends Error {}

// ---- Ctrl-C: abort the current step, then clean up in `finally` -------------------------

let interrupted = false;
let abortStep: (reason: Error) => void = () => {};
const aborted = new Promise<never>((_, reject) => {
  abortStep = reject;
});
aborted.catch(() => {});
function onSigint(): void {
  if (interrupted) {
    say("\n(still cleaning up; please wait)");
    return;
  }
  interrupted = true;
  say("\nInterrupted: cleaning up");
  abortStep(new DemoFailure("Interrupted by Ctrl-C"));
}

/** Runs one step's work, abandoning it when Ctrl-C arrives. */
function step<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, aborted]);
}

// ---- How pods get their interfaces: libcni (cnidrive), else the plugin directly ----------

interface Runtime {
  readonly label: string;
  run(op: "add" | "check" | "del", pod: E2ePod, attachment: Attachment): Promise<CniRun>;
}

function cnidriveRuntime(cnidrive: string, node: E2eNode): Runtime {
  return {
    label: `libcni, as containerd/Multus run plugins (${cnidrive})`,
    run: (op, pod, attachment) => cni(cnidrive, node, op, pod, attachment),
  };
}

/**
 * Without cnidrive: eve-bridge alone, invoked as the CNI spec says (env + config on stdin),
 * inside the node namespace; DEL and CHECK get the ADD result as prevResult. The conflist's
 * later plugins (tuning) are skipped.
 */
function directRuntime(node: E2eNode): Runtime {
  const results = new Map<string, CniResultJson>();
  return {
    label: "eve-bridge invoked directly with CNI env (cnidrive unavailable; tuning skipped)",
    async run(op, pod, attachment) {
      const conflist = JSON.parse(await Deno.readTextFile(attachment.conflist));
      const key = `${pod.containerId}/${attachment.ifname}`;
      const prevResult = results.get(key);
      const config = {
        ...conflist.plugins[0],
        cniVersion: conflist.cniVersion,
        name: conflist.name,
        ...(op !== "add" && prevResult ? { prevResult } : {}),
      };
      const run = await systemRunner(["nsenter", `--net=${node.ns.path}`, EVE_BRIDGE], {
        env: {
          CNI_COMMAND: op.toUpperCase(),
          CNI_CONTAINERID: pod.containerId,
          CNI_NETNS: pod.netns.path,
          CNI_IFNAME: attachment.ifname,
          CNI_ARGS: multusArgs(pod, attachment.mac),
          CNI_PATH: node.cniPath,
        },
        stdin: JSON.stringify(config),
      });
      if (run.code === 0 && op === "add") results.set(key, JSON.parse(run.stdout));
      if (run.code === 0 && op === "del") results.delete(key);
      if (run.code !== 0 && run.stderr === "") run.stderr = run.stdout;
      return run;
    },
  };
}

// ---- The demo ------------------------------------------------------------------------------

function checkMachine(): void {
  if (Deno.uid() !== 0) {
    throw new DemoFailure("The demo needs root: it creates network namespaces (sudo ./run demo)");
  }
  const missing = ["ip", "nsenter", "dnsmasq", "udhcpc", "ping"].filter((t) => !findTool(t));
  missing.push(
    ...REFERENCE_PLUGINS.filter((p) => !isFile(`${CNI_BIN}/${p}`)).map((p) => `${CNI_BIN}/${p}`),
  );
  if (missing.length) {
    throw new DemoFailure(
      `Missing on this machine: ${missing.join(", ")} ` +
        "(Debian: apt-get install iproute2 dnsmasq-base udhcpc iputils-ping " +
        "containernetworking-plugins)",
    );
  }
  const noOvs = withOvs ? demoOvsMissing() : undefined;
  if (noOvs) throw new DemoFailure(`--ovs ${noOvs}`);
  const unbuilt = [EVE_BRIDGE, FAKE_ZEDROUTER, EVE_CNI_DEBUG].filter((p) => !isFile(p));
  if (unbuilt.length) {
    throw new DemoFailure(`Not built: ${unbuilt.join(", ")}; run "deno task build" first`);
  }
}

interface PodPlan {
  role: string;
  app: { name: string; uuid: string };
  attachments: { attachment: Attachment; ni: string | null }[];
}

interface Attached {
  pod: E2ePod;
  done: Attachment[];
}

async function addPod(runtime: Runtime, node: E2eNode, plan: PodPlan): Promise<Attached> {
  const pod = await createPod(node, plan.role, plan.app);
  const attached: Attached = { pod, done: [] };
  heading(
    `Pod ${pod.name} (app ${plan.app.name}): ADD ` +
      plan.attachments.map((a) => `${a.attachment.ifname}${a.ni ? ` (${a.ni})` : ""}`).join(", "),
  );
  detail(`netns ${pod.netns.path}, CNI_ARGS ${multusArgs(pod)}`);
  for (const { attachment } of plan.attachments) {
    const run = await step(runtime.run("add", pod, attachment));
    if (run.code !== 0) {
      throw new DemoFailure(`ADD of ${attachment.ifname} failed: ${run.stderr.trim()}`);
    }
    attached.done.push(attachment);
    const link = await getLink(systemRunner, pod.netns.ns, attachment.ifname);
    const addrs = (await listAddrs(systemRunner, pod.netns.ns, attachment.ifname))
      .filter((a) => a.family === "inet").map((a) => a.cidr);
    detail(
      `${attachment.ifname.padEnd(5)} ${(addrs.join(" ") || "no address (L2 only)").padEnd(18)} ` +
        `mac ${link?.mac ?? "?"}  mtu ${link?.mtu ?? "?"}`,
    );
  }
  return attached;
}

async function firstAddress(pod: E2ePod, ifname: string): Promise<string> {
  const addr = (await listAddrs(systemRunner, pod.netns.ns, ifname)).find((a) =>
    a.family === "inet"
  );
  if (!addr) throw new DemoFailure(`Pod ${pod.name} has no IPv4 address on ${ifname}`);
  return addr.cidr.split("/")[0]!;
}

async function pingFrom(from: E2ePod, to: string): Promise<void> {
  const r = await step(
    systemRunner(["nsenter", `--net=${from.netns.path}`, "ping", "-c1", "-W2", to]),
  );
  const summary = r.stdout.split("\n").find((l) => l.includes("bytes from")) ??
    r.stdout.split("\n").find((l) => l.includes("packet loss")) ?? r.stderr.trim();
  detail(`${from.name} -> ${to}: ${summary.trim()}`);
  if (r.code !== 0) throw new DemoFailure(`Ping from ${from.name} to ${to} failed`);
}

async function showAttachments(node: E2eNode): Promise<void> {
  const args = [
    "--socket",
    node.socket,
    "--state-dir",
    node.stateDir,
    "--log-file",
    node.logFile,
    "--zedrouter-state-dir",
    node.zedrouterStateDir,
    "--host-netns",
    node.ns.name,
    "pods",
  ];
  heading(`eve-cni-debug pods (${EVE_CNI_DEBUG})`);
  const out = await step(systemRunner([EVE_CNI_DEBUG, ...args]));
  const text = `${out.stdout}${out.stderr}`.trimEnd();
  if (out.code === 0 || out.code === 1) {
    detail(text || "(no output)");
    return;
  }
  // eve-cni-debug could not inspect: show zedrouter's own view instead.
  detail(`eve-cni-debug exited ${out.code}: ${text}`);
  detail("zedrouter's Inspect.Attachments instead:");
  for (const a of (await node.inspect("Inspect.Attachments")).attachments) {
    detail(
      `  ${a.podName} ${a.podIfName} -> ${a.bridge}/${a.hostIfName} mac ${a.mac} ` +
        `${a.l3?.ips.map((ip) => ip.address).join(",") || "L2 only"}` +
        (a.problems.length ? `  PROBLEMS: ${a.problems.join("; ")}` : ""),
    );
  }
}

async function teardown(runtime: Runtime | undefined, attached: Attached[]): Promise<string[]> {
  const failures: string[] = [];
  if (!runtime) return failures;
  for (const { pod, done } of [...attached].reverse()) {
    for (const attachment of [...done].reverse()) {
      let run = await runtime.run("del", pod, attachment);
      // Ctrl-C reaches the whole process group: a DEL in flight may have died of it.
      if (run.code !== 0 && interrupted) run = await runtime.run("del", pod, attachment);
      const ok = run.code === 0;
      detail(`DEL ${pod.name} ${attachment.ifname}: ${ok ? "ok" : run.stderr.trim()}`);
      if (!ok) failures.push(`DEL ${pod.name} ${attachment.ifname}`);
    }
  }
  return failures;
}

async function demo(): Promise<void> {
  heading("Checking this machine (root, iproute2, dnsmasq, udhcpc, reference CNI plugins, build)");
  checkMachine();
  // EVE_DEMO_DIRECT=1 shows (and tests) the fallback without libcni.
  const cnidrive = Deno.env.get("EVE_DEMO_DIRECT") === "1"
    ? undefined
    : await step(findCnidrive(true));
  detail(cnidrive ? `cnidrive: ${cnidrive}` : "cnidrive not available: direct invocation");

  await withSandbox(async (sb) => {
    heading(`Creating the node namespace ${sb.prefix}-node and starting fake-zedrouter`);
    const node = await step(startNode(sb, { config: "built-in" }));
    const runtime = cnidrive ? cnidriveRuntime(cnidrive, node) : directRuntime(node);
    const attached: Attached[] = [];
    let failure: unknown;
    let ovs: OvsDaemons | undefined;
    try {
      await attachPingCheck(node, runtime, attached);
      await showAttachments(node);
      if (withOvs) {
        const kit = demoKit(runtime, node, attached);
        ovs = await startDemoOvs(kit, node);
        await ovsPart(kit, node, ovs);
      }
    } catch (error) {
      failure = error;
    } finally {
      heading("Tearing down: DEL every attachment, stop fake-zedrouter, delete the namespaces");
      failure = await tearDownNode(node, runtime, attached, failure);
      if (ovs) {
        // After fake-zedrouter: its DELs removed their OVS ports through the database.
        await ovs.stop();
        detail(`stopped ovs-vswitchd ${ovs.pids.vswitchd} and ovsdb-server ${ovs.pids.ovsdb}`);
      }
      detail(`namespaces ${sb.prefix}-* and ${sb.dir} are removed next`);
    }
    if (failure) throw failure;
  });
}

/** The demo's narration and pod handling, for the OVS part (scripts/demo_ovs.ts). */
function demoKit(runtime: Runtime, node: E2eNode, attached: Attached[]): DemoKit {
  return {
    heading,
    detail,
    step,
    fail: (message) => new DemoFailure(message),
    async addPod(role, app, attachments) {
      const entry = await addPod(runtime, node, { role, app, attachments });
      attached.push(entry);
      return entry.pod;
    },
    firstAddress,
    pingFrom,
  };
}

type NetworkInstanceInfo = ResultOf<"Inspect.NetworkInstances">["networkInstances"][number];
type AppInfo = ResultOf<"Inspect.Apps">["apps"][number];

/** Two pods attached (eth0 and their netX), pinging each other, every attachment CHECKed. */
async function attachPingCheck(
  node: E2eNode,
  runtime: Runtime,
  attached: Attached[],
): Promise<void> {
  const { networkInstances, apps } = await describeNode(node, runtime);
  const local = networkInstances.find((ni) => ni.type === "local");
  if (!local) throw new DemoFailure("The built-in config has no local network instance");
  const plans = planPods(node, networkInstances, apps, local);
  if (plans.length < 2) throw new DemoFailure("The built-in config has fewer than two apps");
  for (const plan of plans) attached.push(await addPod(runtime, node, plan));

  heading(`Ping between the pods over ${local.name} (bridge ${local.bridge})`);
  const [first, second] = attached as [Attached, Attached];
  const firstIp = await firstAddress(first.pod, "net1");
  const secondIp = await firstAddress(second.pod, "net1");
  await pingFrom(first.pod, secondIp);
  await pingFrom(second.pod, firstIp);

  heading("CHECK every attachment (against the ADD result, as a runtime checks)");
  for (const { pod, done } of attached) {
    for (const attachment of done) {
      const run = await step(runtime.run("check", pod, attachment));
      detail(`CHECK ${pod.name} ${attachment.ifname}: ${run.code === 0 ? "ok" : run.stderr}`);
      if (run.code !== 0) throw new DemoFailure(`CHECK of ${attachment.ifname} failed`);
    }
  }
}

/** What zedrouter serves (NIs, apps) and the CNI configs the node has for them. */
async function describeNode(
  node: E2eNode,
  runtime: Runtime,
): Promise<{ networkInstances: NetworkInstanceInfo[]; apps: AppInfo[] }> {
  detail(`fake-zedrouter pid ${node.zedrouter.pid}, socket ${node.socket}, built-in config`);
  const { networkInstances } = await node.inspect("Inspect.NetworkInstances");
  for (const ni of networkInstances) {
    detail(
      `NI ${ni.name}: ${ni.type}, bridge ${ni.bridge}, ` +
        (ni.type === "local"
          ? `subnet ${ni.subnet}, gateway ${ni.gateway}`
          : ni.port
          ? `port ${ni.port}`
          : "air-gapped (pods get no DHCP)"),
    );
  }
  const { apps } = await node.inspect("Inspect.Apps");
  for (const app of apps) {
    detail(
      `app ${app.name}: pods ${app.kubeName}-*; adapters ` +
        app.adapters.map((adapter) =>
          `${adapter.networkInstance} ${adapter.mac}${adapter.ip ? ` ${adapter.ip}` : ""}`
        ).join(", "),
    );
  }
  heading("The CNI configs a node would have");
  detail(`${node.primaryConflist}: eth0 = eve-bridge -> bridge + host-local`);
  for (const ni of networkInstances) {
    detail(`${node.nad(ni.name)}: NAD ${ni.name} = eve-bridge -> tuning`);
  }
  detail(`runtime: ${runtime.label}`);
  return { networkInstances, apps };
}

/** A pod for each of the first two apps: eth0, then one netX per adapter on a shown NI. */
function planPods(
  node: E2eNode,
  networkInstances: NetworkInstanceInfo[],
  apps: AppInfo[],
  local: NetworkInstanceInfo,
): PodPlan[] {
  const airgap = networkInstances.find((ni) => ni.type === "switch" && ni.port === null);
  return apps.slice(0, 2).map((app, index) => {
    const plan: PodPlan = { role: `pod${index + 1}`, app, attachments: [] };
    plan.attachments.push({
      attachment: { ifname: "eth0", conflist: node.primaryConflist },
      ni: null,
    });
    let netIndex = 0;
    for (const adapter of app.adapters) {
      const ni = adapter.networkInstance;
      if (ni !== local.name && ni !== airgap?.name) continue;
      netIndex += 1;
      plan.attachments.push({
        attachment: { ifname: `net${netIndex}`, conflist: node.nad(ni), mac: adapter.mac },
        ni,
      });
    }
    return plan;
  });
}

/** DEL everything, look for leaks, stop zedrouter; returns the failure to report, if any. */
async function tearDownNode(
  node: E2eNode,
  runtime: Runtime,
  attached: Attached[],
  failure: unknown,
): Promise<unknown> {
  const pods = attached.map((entry) => entry.pod);
  const delFailures = await teardown(runtime, attached);
  const leaks = interrupted ? [] : await findLeaks(node, pods).catch((e) => [String(e)]);
  const strays = await stopStrayDhcpClients(node, pods);
  await node.stopZedrouter();
  if (strays.length) leaks.push(`udhcpc pid(s) ${strays.join(", ")} had to be stopped`);
  if (failure) return failure;
  if (delFailures.length) return new DemoFailure(`${delFailures.join(", ")} failed`);
  if (leaks.length) return new DemoFailure(`Left behind after DEL:\n  ${leaks.join("\n  ")}`);
  if (!interrupted) {
    detail("nothing left behind: no veths, leases, DHCP clients, state files or IPAM entries");
  }
  return undefined;
}

Deno.addSignalListener("SIGINT", onSigint);
let exitCode = 0;
try {
  await demo();
  const pods = withOvs ? "three pods (one on an OVS bridge)" : "two pods";
  say(`\nDemo finished: ${pods} attached through eve-bridge, pinged, inspected, detached.`);
} catch (error) {
  exitCode = 1;
  const message = interrupted
    ? "Interrupted by Ctrl-C (cleaned up)"
    : error instanceof Error
    ? error.message
    : String(error);
  say(`\nDemo failed: ${message}`);
  if (!(error instanceof DemoFailure) && error instanceof Error && error.stack) {
    Deno.stderr.writeSync(encoder.encode(`${error.stack}\n`));
  }
} finally {
  Deno.removeSignalListener("SIGINT", onSigint);
}
Deno.exit(interrupted ? 130 : exitCode);
