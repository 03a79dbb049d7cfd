/**
 * `deno task bench:attach`: pod attachments end to end, driven as a runtime drives them
 * (libcni via cnidrive, inside a sandbox node namespace running the built fake-zedrouter;
 * every call is started by a runtime process living in that namespace, node_runtime.ts, as
 * containerd starts CNI from the node's own, so no call pays an nsenter).
 *
 * 1. Serial: CYCLES ADD/DEL cycles of net1 (eve-bridge -> zedrouter -> DHCP -> L3, on the NAD
 *    as EVE ships it: eve-bridge alone, cniVersion 0.3.1; once more with tuning chained after
 *    it, the sandbox's NAD, as a reference), of eth0 through eve-bridge, and of eth0 through
 *    Debian's bridge + host-local directly (the same conflist minus eve-bridge: the baseline).
 *    The paths' cycles are interleaved (cycle i of each, then cycle i + 1), so a drift in the
 *    VM's speed reaches every path and every floor part alike.
 *    Per-phase times of net1 come from eve-bridge's own log lines ("Attached"/"Detached":
 *    l2Ms, dhcpMs, l3Ms, releaseMs, disconnectMs); "in-process" is the plugin's time from the
 *    CNI call's start to its last log line (Deno's own start-up and the program's load are
 *    not in it; the per-slice table, attach_slices.ts, shows them); "runtime" is the wall
 *    time of the whole libcni invocation (process start-up, chained plugins, result cache).
 *    The "net1+policy" path is net1 again with a `routingPolicy` block (its own step's time
 *    from the "Routing policy of" log line).
 * 2. Parallel: PODS pods x (eth0 + net1) at PARALLEL-way parallelism: failures (a failed
 *    ADD/DEL or a wrong address) and leaks after DEL (both must be 0), attachments/s, the
 *    p50/p99 of the burst's ADD calls and the node's CPU count.
 * 3. Floors (attach_floors.ts): every cycle also times an empty-script Deno start with the
 *    launcher's flags and an eve-bridge VERSION, and each net1 cycle a bare udhcpc lease and
 *    a bare udhcpc release on the attached interface; each path's p50 is printed beside its
 *    floor (the sum of its parts' p50s from this run) and issue 11's target. A reference
 *    row: eth0 through a Deno plugin that only hands its stdin to bridge with Deno.Command
 *    (minimal_eth0_plugin.js), what a delegating Deno plugin pays the usual way; eve-bridge
 *    starts bridge with libc's posix_spawn instead (netns/libc_spawn.ts), so the difference
 *    to it is eve-bridge's own cost less the process module it no longer loads.
 *    The burst also prints the node's CPU time per attachment (node_cpu.ts), every process's,
 *    against what 20 attachments/s allows on this node's CPUs.
 *
 * Bounded: every invocation times out after 60 s, the run stops issuing work after
 * BENCH_DEADLINE_S; the sandbox (namespaces, fake-zedrouter, DHCP clients) is always removed.
 * Root only; prints a table.
 */
import { withSandbox } from "../../scripts/sandbox/sandbox.ts";
import { type NodeRuntime, type RuntimeAnswer, startNodeRuntime } from "./node_runtime.ts";
import { type E2eNode, startNode, type ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import {
  type Attachment,
  cnidriveArgv,
  createPod,
  type E2ePod,
} from "../../scripts/sandbox/pod.ts";
import { findLeaks, stopStrayDhcpClients } from "../../scripts/sandbox/leaks.ts";
import { e2eSkipReason } from "../e2e/harness.ts";
import { conflistWithPolicy } from "../e2e/routing_harness.ts";
import { findCnidrive } from "../../scripts/sandbox/paths.ts";
import { listAddrs, systemRunner } from "../../netns/mod.ts";
import {
  baselineConflist,
  floorTable,
  type FloorTools,
  floorTools,
  minimalPluginAttachment,
  p50,
  percentile,
} from "./attach_floors.ts";
import { nodeBusyMs } from "./node_cpu.ts";
import { logField, type LogLine, readLog } from "./attach_log.ts";
import { sliceTable } from "./attach_slices.ts";

const CYCLES = Number(Deno.env.get("BENCH_CYCLES") ?? 50);
const PODS = Number(Deno.env.get("BENCH_PODS") ?? 100);
const PARALLEL = Number(Deno.env.get("BENCH_PARALLEL") ?? 8);
const DEADLINE_MS = Number(Deno.env.get("BENCH_DEADLINE_S") ?? 600) * 1000;
/** The routingPolicy of the "net1+policy" path: every knob that applies to an NI's interface. */
const ROUTING_POLICY = {
  migrateRoute: 1,
  hijackSubnets: { service: ["10.43.0.0/16"] },
  rpFilter: 2,
  neighbours: true,
};

const encoder = new TextEncoder();
function out(line = ""): void {
  Deno.stdout.writeSync(encoder.encode(`${line}\n`));
}

// ---- The node: one local NI, one app per parallel pod (each with a reservation) ---------

const NI_NAME = "ni-bench";
function appOf(i: number): { name: string; uuid: string; mac: string; ip: string } {
  const hex = i.toString(16).padStart(4, "0");
  return {
    name: `bench${i}`,
    uuid: `${hex}${hex}-0000-4000-8000-00000000${hex}`,
    mac: `02:16:3e:be:${hex.slice(0, 2)}:${hex.slice(2)}`,
    ip: `10.80.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`,
  };
}
const APP_COUNT = Math.max(PODS, 1);

function benchConfig(): ZedrouterConfig {
  return {
    networkInstances: [{
      name: NI_NAME,
      uuid: "b0b0b0b0-0000-4000-8000-00000000b0b0",
      type: "local",
      bridge: "bn1",
      subnet: "10.80.0.0/16",
      gateway: "10.80.0.1",
      defaultRoute: true,
    }],
    apps: Array.from({ length: APP_COUNT }, (_, i) => {
      const app = appOf(i);
      return {
        name: app.name,
        uuid: app.uuid,
        adapters: [{ networkInstance: NI_NAME, mac: app.mac, ip: app.ip }],
      };
    }),
  };
}

/**
 * The NAD as EVE ships it (reference/eve-node.md): `{"cniVersion": "0.3.1", "type":
 * "eve-bridge"}`, one plugin and nothing chained after it, with the sandbox node's socket, log
 * and state paths. The sandbox's own NAD chains tuning after eve-bridge (the tests use it).
 */
async function eveNad(node: E2eNode): Promise<string> {
  const nad = JSON.parse(await Deno.readTextFile(node.nad(NI_NAME)));
  const path = `${node.dir}/net.d/ni-eve.conflist`;
  const eve = { ...nad, cniVersion: "0.3.1", plugins: nad.plugins.slice(0, 1) };
  await Deno.writeTextFile(path, JSON.stringify(eve));
  return path;
}

// ---- Running and timing invocations ------------------------------------------------------

async function drive(
  cnidrive: string,
  node: E2eNode,
  op: "add" | "del",
  pod: E2ePod,
  attachment: Attachment,
): Promise<RuntimeAnswer> {
  const argv = cnidriveArgv(cnidrive, node, op, pod, attachment);
  // The runtime already runs inside the node's netns: the argv without its nsenter.
  const enter = ["nsenter", `--net=${node.ns.path}`];
  if (!enter.every((word, i) => argv[i] === word)) throw new Error(`Not a node call: ${argv}`);
  return await runtime!.run(argv.slice(enter.length));
}

/** A new sandbox container id per cycle, as a runtime makes one per pod sandbox. */
function withNewContainer(pod: E2ePod): E2ePod {
  const id = Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return { ...pod, containerId: id };
}

// ---- Statistics and the table ------------------------------------------------------------

const rows: string[][] = [];
function row(what: string, values: number[]): void {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
  rows.push([what, String(values.length), f(percentile(values, 0.5)), f(percentile(values, 0.99))]);
}

function printTable(title: string, header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  out(`\n${title}`);
  out(line(header));
  out(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of body) out(line(r));
}

// ---- The benchmark -----------------------------------------------------------------------

/** Floor samples, taken between the cycles so they see the same load. */
const floorSamples = {
  deno: [] as number[],
  version: [] as number[],
  lease: [] as number[],
  release: [] as number[],
};
let tools: FloorTools | undefined;
/** Runs every timed CNI call from inside the node's netns (node_runtime.ts). */
let runtime: NodeRuntime | undefined;

async function sampleFloors(pod: E2ePod, ifname: string, leaseToo: boolean): Promise<void> {
  if (!tools) return;
  floorSamples.deno.push(await tools.denoStart());
  floorSamples.version.push(await tools.version());
  if (!leaseToo) return;
  floorSamples.lease.push(await tools.bareLease(pod.netns.path, ifname));
  floorSamples.release.push(await tools.bareRelease(pod.netns.path, ifname));
}

type SerialRun = Cycles & { failures: string[] };

/**
 * One serially measured path: its attachment, and whether its cycles sample a bare udhcpc
 * lease and release (attach_floors.ts).
 */
interface SerialPath {
  readonly label: string;
  readonly attachment: Attachment;
  readonly bareLease?: boolean;
}

/**
 * CYCLES ADD/DEL cycles of every path, interleaved (cycle i of each path, then cycle i + 1):
 * this VM's speed drifts by tens of percent over minutes, and paths measured one after the
 * other in phases of their own put that drift into their ratios.
 */
async function interleavedCycles(
  cnidrive: string,
  node: E2eNode,
  pod: E2ePod,
  paths: readonly SerialPath[],
  deadline: number,
): Promise<SerialRun[]> {
  const runs: SerialRun[] = paths.map(() => ({
    add: [],
    del: [],
    containers: new Set(),
    failures: [],
  }));
  for (let i = 0; i < CYCLES && performance.now() < deadline; i++) {
    for (const [j, path] of paths.entries()) {
      const run = runs[j]!;
      const p = withNewContainer(pod);
      run.containers.add(p.containerId);
      const a = await drive(cnidrive, node, "add", p, path.attachment);
      if (a.ok) run.add.push(a.ms);
      else run.failures.push(`${path.label} ADD ${i}: ${a.stderr}`);
      await sampleFloors(p, path.attachment.ifname, (path.bareLease ?? false) && a.ok);
      const d = await drive(cnidrive, node, "del", p, path.attachment);
      if (d.ok) run.del.push(d.ms);
      else run.failures.push(`${path.label} DEL ${i}: ${d.stderr}`);
    }
  }
  return runs;
}

async function parallelPods(
  cnidrive: string,
  node: E2eNode,
  nadPath: string,
  deadline: number,
): Promise<
  {
    failures: string[];
    attachMs: number;
    /** The node's busy CPU time (every process, all CPUs) during the ADD phase. */
    attachCpuMs: number;
    detachMs: number;
    attachments: number;
    pods: E2ePod[];
    addMs: number[];
  }
> {
  const pods: E2ePod[] = [];
  for (let i = 0; i < PODS; i++) {
    pods.push(await createPod(node, `p${String(i).padStart(3, "0")}`, appOf(i)));
  }
  const failures: string[] = [];
  const attachmentsOf = (i: number) => [
    { ifname: "eth0", conflist: node.primaryConflist },
    { ifname: "net1", conflist: nadPath, mac: appOf(i).mac },
  ];
  const added: boolean[] = pods.map(() => false);
  const addMs: number[] = [];
  let attachments = 0;

  const pool = async (work: (i: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < pods.length && performance.now() < deadline) await work(next++);
    }));
  };

  let started = performance.now();
  const cpuBefore = nodeBusyMs();
  await pool(async (i) => {
    const pod = pods[i]!;
    added[i] = true;
    for (const attachment of attachmentsOf(i)) {
      const r = await drive(cnidrive, node, "add", pod, attachment);
      if (!r.ok) {
        failures.push(`${pod.name} ADD ${attachment.ifname}: ${r.stderr}`);
        return;
      }
      addMs.push(r.ms);
      attachments += 1;
    }
  });
  const attachMs = performance.now() - started;
  const attachCpuMs = nodeBusyMs() - cpuBefore;
  // Checked once the burst is over: the bench's own `ip` calls are not the node's work.
  for (const [i, pod] of pods.entries()) {
    if (!added[i]) continue;
    const addrs = (await listAddrs(systemRunner, pod.netns.ns, "net1"))
      .filter((a) => a.family === "inet").map((a) => a.cidr);
    if (addrs.join() !== `${appOf(i).ip}/16`) {
      failures.push(`${pod.name} net1 has ${addrs.join() || "no address"}, not ${appOf(i).ip}/16`);
    }
  }

  started = performance.now();
  await pool(async (i) => {
    if (!added[i]) return;
    for (const attachment of attachmentsOf(i).reverse()) {
      const r = await drive(cnidrive, node, "del", pods[i]!, attachment);
      if (!r.ok) failures.push(`${pods[i]!.name} DEL ${attachment.ifname}: ${r.stderr}`);
    }
  });
  const detachMs = performance.now() - started;
  return { failures, attachMs, attachCpuMs, detachMs, attachments, pods, addMs };
}

type Cycles = { add: number[]; del: number[]; containers: Set<string> };

/**
 * One unrecorded cycle of the reference Deno plugin (attach_floors.ts) on the baseline's
 * config, which fills its code cache as eve-bridge's build fills eve-bridge's; its
 * attachment, for the interleaved cycles, and the warm-up's failures.
 */
async function warmMinimalPlugin(
  cnidrive: string,
  node: E2eNode,
  pod: E2ePod,
): Promise<{ attachment: Attachment; failures: string[] }> {
  const attachment = await minimalPluginAttachment(node, tools!);
  const warm = withNewContainer(pod);
  const failures: string[] = [];
  for (const op of ["add", "del"] as const) {
    const r = await drive(cnidrive, node, op, warm, attachment);
    if (!r.ok) failures.push(`minimal warm-up ${op.toUpperCase()}: ${r.stderr}`);
  }
  return { attachment, failures };
}

/** Each path beside its floor (attach_floors.ts), issue 11's targets. */
function printFloors(
  log: LogLine[],
  runs: { netx: Cycles; tuned: Cycles; eth0: Cycles; base: Cycles; minimal: Cycles },
): void {
  const { netx, tuned, eth0, base, minimal } = runs;
  const deno = { name: "Deno start", samples: floorSamples.deno };
  // netX ADD's floor: Deno's start, zedrouter's L2 and L3 work as this path's log timed it,
  // and a bare udhcpc lease.
  const netxAddFloor = (cycles: Cycles) => [
    deno,
    { name: "L2", samples: logField(log, cycles.containers, "ADD", "Attached", "l2Ms") },
    { name: "bare udhcpc lease", samples: floorSamples.lease },
    { name: "L3", samples: logField(log, cycles.containers, "ADD", "Attached", "l3Ms") },
  ];
  const table = floorTable([
    {
      path: "eth0 ADD",
      samples: eth0.add,
      parts: [deno, { name: "bridge+host-local ADD", samples: base.add }],
      target: "ratio",
    },
    {
      path: "eth0 DEL",
      samples: eth0.del,
      parts: [deno, { name: "bridge+host-local DEL", samples: base.del }],
      target: "ratio",
    },
    {
      path: "net1 ADD",
      samples: netx.add,
      parts: netxAddFloor(netx),
      target: "ratio",
    },
    {
      path: "net1 DEL",
      samples: netx.del,
      parts: [
        deno,
        {
          name: "DisconnectPod",
          samples: logField(log, netx.containers, "DEL", "Detached", "disconnectMs"),
        },
        { name: "bare udhcpc release", samples: floorSamples.release },
      ],
      target: "ratio",
    },
    { path: "VERSION", samples: floorSamples.version, parts: [deno], plusMs: 5, target: "plus" },
    {
      path: "net1 ADD, tuning chained",
      samples: tuned.add,
      parts: netxAddFloor(tuned),
      target: "reference",
    },
    {
      path: "eth0 ADD, minimal Deno plugin",
      samples: minimal.add,
      parts: [deno, { name: "bridge+host-local ADD", samples: base.add }],
      target: "reference",
    },
    {
      path: "eth0 DEL, minimal Deno plugin",
      samples: minimal.del,
      parts: [deno, { name: "bridge+host-local DEL", samples: base.del }],
      target: "reference",
    },
  ]);
  printTable(
    "Paths beside their floors (ms; runtime wall times through libcni; floor parts from this run)",
    table.header,
    table.body,
  );
  out("  net1's floor has no libcni in it; ours does.");
  out(
    "  The minimal Deno plugin only hands its stdin to bridge (minimal_eth0_plugin.js): the " +
      "floor plus Deno's process module (Deno.Command; eve-bridge uses libc's posix_spawn).",
  );
  const f = (n: number) => n.toFixed(1);
  out(
    `  eve-bridge beyond it: eth0 ADD +${f(p50(eth0.add) - p50(minimal.add))} ms, ` +
      `eth0 DEL +${f(p50(eth0.del) - p50(minimal.del))} ms (loading its program, ` +
      "checking the config and the netns, logging).",
  );
}

async function bench(): Promise<number> {
  const reason = await e2eSkipReason();
  if (reason) {
    out(`bench:attach skipped: ${reason}`);
    return 0;
  }
  const cnidrive = (await findCnidrive(false))!;
  const deadline = performance.now() + DEADLINE_MS;
  let exitCode = 0;
  await withSandbox(async (sb) => {
    const node = await startNode(sb, { config: benchConfig() });
    tools = await floorTools();
    runtime = startNodeRuntime(sb, node.ns.path);
    const allPods: E2ePod[] = [];
    try {
      const nadPath = await eveNad(node);
      const baselinePath = `${node.dir}/net.d/00-baseline.conflist`;
      await Deno.writeTextFile(baselinePath, JSON.stringify(baselineConflist(node)));
      const serialPod = await createPod(node, "serial", appOf(0));
      allPods.push(serialPod);
      out(
        `bench:attach: ${CYCLES} serial ADD/DEL cycles per path (interleaved), then ` +
          `${PODS} pods x (eth0 + net1) at ${PARALLEL}-way parallelism; node ${node.ns.name}`,
      );

      const minimalPlugin = await warmMinimalPlugin(cnidrive, node, serialPod);
      // The same net1 with a routingPolicy block (every knob that applies to an NI interface).
      const policyPath = await conflistWithPolicy(node, nadPath, "ni-policy", ROUTING_POLICY);
      const net1 = (conflist: string) => ({ ifname: "net1", conflist, mac: appOf(0).mac });
      const [netx, eth0, base, minimal, routed, tuned] = await interleavedCycles(
        cnidrive,
        node,
        serialPod,
        [
          { label: "net1", attachment: net1(nadPath), bareLease: true },
          { label: "eth0", attachment: { ifname: "eth0", conflist: node.primaryConflist } },
          { label: "baseline", attachment: { ifname: "eth0", conflist: baselinePath } },
          { label: "minimal", attachment: minimalPlugin.attachment },
          { label: "net1+policy", attachment: net1(policyPath) },
          // The sandbox's NAD: tuning chained after eve-bridge (a reference: EVE's has none).
          { label: "net1+tuning", attachment: net1(node.nad(NI_NAME)) },
        ],
        deadline,
      ) as [SerialRun, SerialRun, SerialRun, SerialRun, SerialRun, SerialRun];
      minimal.failures.unshift(...minimalPlugin.failures);

      const log = await readLog(node.logFile);
      row(
        "net1 ADD  L2 (ConnectPodAtL2)",
        logField(log, netx.containers, "ADD", "Attached", "l2Ms"),
      );
      row(
        "net1 ADD  DHCP (udhcpc, first lease)",
        logField(log, netx.containers, "ADD", "Attached", "dhcpMs"),
      );
      row(
        "net1 ADD  L3 (ConnectPodAtL3)",
        logField(log, netx.containers, "ADD", "Attached", "l3Ms"),
      );
      row(
        "net1 ADD  eve-bridge logic total",
        logField(log, netx.containers, "ADD", "Attached", "totalMs"),
      );
      row(
        "net1 ADD  eve-bridge in-process",
        logField(log, netx.containers, "ADD", "Finished", "durationMs"),
      );
      row("net1 ADD  runtime (libcni)", netx.add);
      row(
        "net1 DEL  release lease",
        logField(log, netx.containers, "DEL", "Detached", "releaseMs"),
      );
      row(
        "net1 DEL  DisconnectPod",
        logField(log, netx.containers, "DEL", "Detached", "disconnectMs"),
      );
      row(
        "net1 DEL  eve-bridge in-process",
        logField(log, netx.containers, "DEL", "Finished", "durationMs"),
      );
      row("net1 DEL  runtime (libcni)", netx.del);
      row(
        "eth0 ADD  eve-bridge in-process",
        logField(log, eth0.containers, "ADD", "Finished", "durationMs"),
      );
      row("eth0 ADD  runtime (eve-bridge -> bridge)", eth0.add);
      row(
        "eth0 DEL  eve-bridge in-process",
        logField(log, eth0.containers, "DEL", "Finished", "durationMs"),
      );
      row("eth0 DEL  runtime (eve-bridge -> bridge)", eth0.del);
      row(
        "net1+policy ADD  routing policy step",
        logField(log, routed.containers, "ADD", "Routing policy of", "routingMs"),
      );
      row(
        "net1+policy ADD  eve-bridge in-process",
        logField(log, routed.containers, "ADD", "Finished", "durationMs"),
      );
      row("net1+policy ADD  runtime (libcni)", routed.add);
      row(
        "net1+policy DEL  eve-bridge in-process",
        logField(log, routed.containers, "DEL", "Finished", "durationMs"),
      );
      row("net1+tuning ADD  runtime (libcni, tuning chained)", tuned.add);
      row("net1+tuning DEL  runtime (libcni, tuning chained)", tuned.del);
      row("eth0 ADD  baseline (bridge + host-local)", base.add);
      row("eth0 DEL  baseline (bridge + host-local)", base.del);
      row("eth0 ADD  minimal Deno plugin (-> bridge)", minimal.add);
      row("eth0 DEL  minimal Deno plugin (-> bridge)", minimal.del);
      printTable(
        `Serial cycles (ms; p99 of ${CYCLES} samples is close to the maximum)`,
        ["phase", "n", "p50", "p99"],
        rows,
      );

      const par = await parallelPods(cnidrive, node, nadPath, deadline);
      allPods.push(...par.pods);
      const leaks = await findLeaks(node, allPods);
      const strays = await stopStrayDhcpClients(node, allPods);
      const failures = [
        ...netx.failures,
        ...eth0.failures,
        ...base.failures,
        ...minimal.failures,
        ...routed.failures,
        ...tuned.failures,
        ...par.failures,
      ];
      const planned = PODS * 2;
      const burstP50 = p50(par.addMs);
      const burstP99 = percentile(par.addMs, 0.99);
      const perSecond = par.attachments / (par.attachMs / 1000);
      const cpus = navigator.hardwareConcurrency;
      const cpuPerAttachment = par.attachCpuMs / Math.max(par.attachments, 1);
      printTable(`Parallel: ${PODS} pods x 2 interfaces, ${PARALLEL}-way`, ["measure", "value"], [
        ["node CPUs", String(cpus)],
        ["attachments made", `${par.attachments} of ${planned}`],
        ["ADD wall time", `${(par.attachMs / 1000).toFixed(2)} s`],
        ["attachments/s (ADD)", `${perSecond.toFixed(1)} (target >= 20)`],
        [
          "node CPU per attachment",
          `${cpuPerAttachment.toFixed(1)} ms (20/s on ${cpus} CPUs needs <= ${
            ((cpus * 1000) / 20).toFixed(0)
          }; CPU busy ${((100 * par.attachCpuMs) / (cpus * par.attachMs)).toFixed(0)}%)`,
        ],
        ["ADD call p50 / p99", `${burstP50.toFixed(1)} / ${burstP99.toFixed(1)} ms`],
        ["ADD p99 / p50", `${(burstP99 / burstP50).toFixed(2)} (target <= 2)`],
        ["DEL wall time", `${(par.detachMs / 1000).toFixed(2)} s`],
        ["detachments/s (DEL)", (par.attachments / (par.detachMs / 1000)).toFixed(1)],
        ["failures (all phases)", String(failures.length)],
        ["leaks after DEL", String(leaks.length + strays.length)],
      ]);
      printFloors(log, { netx, tuned, eth0, base, minimal });
      printTable(
        "Per-slice table of the serial cycles (p50 ms, from eve-bridge's log of this run)",
        ["slice", "p50"],
        sliceTable(log, { netx, eth0 }),
      );
      for (const f of failures.slice(0, 10)) out(`  failure: ${f}`);
      for (const l of leaks.slice(0, 10)) out(`  leak: ${l}`);
      if (failures.length || leaks.length || strays.length || par.attachments < planned) {
        exitCode = 1;
      }
      if (performance.now() > deadline) {
        out(`\nStopped early: the ${DEADLINE_MS / 1000} s deadline passed`);
        exitCode = 1;
      }
    } finally {
      await runtime?.close();
      await tools?.close();
      await stopStrayDhcpClients(node, allPods);
      await node.stopZedrouter();
    }
  });
  return exitCode;
}

Deno.exit(await bench());
