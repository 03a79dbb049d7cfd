/**
 * `deno task bench:soak -- [CALLS] [CYCLES] [--entry PATH]`: does fake-zedrouter's memory
 * plateau? Runs the built fake-zedrouter (bundled as `deno task build` does, under its
 * shipped permissions) in a sandbox node netns, and 8 parallel clients, one app and pod
 * netns each, run CYCLES churn cycles between them:
 *   ConnectPodAtL2 -> ConnectPodAtL3 -> CALLS/CYCLES more calls -> DisconnectPod,
 * the calls being CheckPodConnection (which reads the kernel), Inspect.Attachments and
 * Inspect.Health, in both dialects; each twentieth call and each twenty-fifth cycle goes
 * through the Go net/rpc/jsonrpc peer, and clients reconnect every 50 calls. The load has
 * one shape from the first cycle to the last, so the RSS after 100 cycles is a fair base.
 * It prints the daemon's RSS, fd count and children (and their fds) at the start, after 100
 * cycles, half way and at the end, and what is left behind by kind (veths, dnsmasq
 * processes, attachments, state, namespaces its children hold open). Exit 1 on errors,
 * leaks, fds (its own or its children's) that grew after 100 cycles, or an end RSS above
 * 1.5x the RSS after 100 cycles. `--entry` bundles another checkout's
 * cli/fake-zedrouter/main.ts (to compare). Defaults: 4000 calls, 1000 cycles. Root only.
 */
import { type ALL_METHODS, type ParamsOf, RpcClient } from "../../rpc/mod.ts";
import type { Netns } from "../../netns/mod.ts";
import {
  type Sandbox,
  type SandboxNetns,
  skipReason,
  withSandbox,
} from "../../scripts/sandbox/sandbox.ts";
import {
  goCallOk,
  inspect,
  podArgs,
  startZedrouter,
  type Zedrouter,
} from "../fake_zedrouter_harness.ts";
import {
  dnsmasqOf,
  findSoakLeaks,
  formatSample,
  type ProcessSample,
  sampleProcess,
} from "./soak_probe.ts";

const CLIENTS = 8;
const SUBNET = "10.89";
const CHURN_MARK = 100;

interface Settings {
  readonly calls: number;
  readonly cycles: number;
  readonly entry: string | null;
}

function parseSettings(args: readonly string[]): Settings {
  const rest = args.filter((a) => a !== "--");
  const at = rest.indexOf("--entry");
  const entry = at < 0 ? null : rest[at + 1] ?? null;
  const numbers = rest.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
  const [calls, cycles] = [Number(numbers[0] ?? 4000), Number(numbers[1] ?? 1000)];
  if (!Number.isInteger(calls) || calls < 0 || !Number.isInteger(cycles) || cycles <= CHURN_MARK) {
    throw new Error(
      `Expected CALLS >= 0 and CYCLES > ${CHURN_MARK} (whole numbers), got "${numbers.join(" ")}"`,
    );
  }
  return { calls, cycles, entry };
}

const hex = (i: number) => i.toString(16).padStart(2, "0");
const appUuid = (i: number) => `${hex(i).repeat(4)}-0000-4000-8000-0000000000${hex(i)}`;
const macOf = (i: number) => `02:16:3e:5e:00:${hex(i)}`;

function soakConfig(): string {
  const apps = Array.from({ length: CLIENTS }, (_, i) =>
    `  - name: soak${i}
    uuid: ${appUuid(i)}
    adapters: [{networkInstance: ni-local, mac: "${macOf(i)}"}]`);
  return `networkInstances:
  - {name: ni-local, type: local, bridge: bs1, subnet: ${SUBNET}.0.0/16, defaultRoute: true}
  - {name: ni-airgap, type: switch, bridge: bs2}
apps:
${apps.join("\n")}
`;
}

/** The calls one client makes about its pod. */
function podCalls(i: number, pod: SandboxNetns) {
  const podName = `soak${i}-${hex(i).repeat(2)}${hex(i)[0]}-abcde`;
  const base = podArgs(podName, pod, "net1", macOf(i));
  const named = podArgs(podName, pod, "net1", null);
  const l3 = {
    ...base,
    ips: [{ address: `${SUBNET}.1.${10 + i}/16`, gateway: `${SUBNET}.0.1` }],
    routes: [{ dst: "0.0.0.0/0", gw: `${SUBNET}.0.1` }],
    dns: { nameservers: [`${SUBNET}.0.1`], domain: "", search: null, options: null },
  };
  return { base, named, l3 };
}

type PodCalls = ReturnType<typeof podCalls>;

/** Both dialects on fresh connections every `reconnectEvery` calls. */
class Clients {
  #go: RpcClient | null = null;
  #rpc2: RpcClient | null = null;
  #used = 0;

  constructor(private readonly socket: string, private readonly reconnectEvery: number) {}

  async get(dialect: "go" | "jsonrpc2"): Promise<RpcClient> {
    if (this.#used++ % this.reconnectEvery === 0) await this.close();
    if (dialect === "go") return this.#go ??= await RpcClient.connect(this.socket);
    return this.#rpc2 ??= await RpcClient.connect(this.socket, { dialect: "jsonrpc2" });
  }

  async close(): Promise<void> {
    await Promise.all([this.#go?.close(), this.#rpc2?.close()]);
    this.#go = this.#rpc2 = null;
  }
}

interface Tally {
  cycles: number;
  /** Calls of the churn itself (L2, L3, Disconnect) and the extra ones. */
  churnCalls: number;
  calls: number;
  goPeer: number;
  readonly errors: string[];
}

async function attempt(tally: Tally, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    tally.errors.push(error instanceof Error ? error.message : String(error));
  }
}

/** One extra call (the j-th overall). */
async function oneCall(zr: Zedrouter, clients: Clients, calls: PodCalls, j: number, tally: Tally) {
  if (j % 20 === 0) {
    tally.goPeer++;
    return await goCallOk(zr.socket, "RPCServer.CheckPodConnection", calls.named);
  }
  if (j % 10 === 5) return await (await clients.get("jsonrpc2")).call("Inspect.Attachments", {});
  if (j % 10 === 7) return await (await clients.get("go")).call("Inspect.Health", {});
  const client = await clients.get(j % 2 === 0 ? "go" : "jsonrpc2");
  return await client.call("RPCServer.CheckPodConnection", calls.named);
}

/** Cycle k: attach, the extra calls numbered `extra`, detach. */
async function oneCycle(
  zr: Zedrouter,
  clients: Clients,
  calls: PodCalls,
  cycle: { k: number; extra: { from: number; to: number } },
  tally: Tally,
): Promise<void> {
  const viaGo = cycle.k % 25 === 0;
  const dialect = cycle.k % 2 === 0 ? "go" : "jsonrpc2";
  const step = async <M extends keyof typeof ALL_METHODS & `RPCServer.${string}`>(
    method: M,
    params: ParamsOf<M>,
  ) => {
    tally.churnCalls++;
    if (viaGo) tally.goPeer++;
    await attempt(
      tally,
      async () =>
        viaGo
          ? await goCallOk(zr.socket, method, params)
          : await (await clients.get(dialect)).call(method, params),
    );
  };
  await step("RPCServer.ConnectPodAtL2", calls.base);
  await step("RPCServer.ConnectPodAtL3", calls.l3);
  for (let j = cycle.extra.from; j < cycle.extra.to; j++) {
    tally.calls++;
    await attempt(tally, () => oneCall(zr, clients, calls, j, tally));
  }
  await step("RPCServer.DisconnectPod", calls.named);
  tally.cycles++;
}

/** Runs cycles [from, to) over the clients; CALLS spread evenly over all CYCLES. */
async function runCycles(
  zr: Zedrouter,
  pods: readonly SandboxNetns[],
  range: { from: number; to: number },
  settings: Settings,
  tally: Tally,
): Promise<void> {
  let next = range.from;
  const callsBefore = (k: number) => Math.floor((k * settings.calls) / settings.cycles);
  await Promise.all(pods.map(async (pod, i) => {
    const clients = new Clients(zr.socket, 50);
    const calls = podCalls(i, pod);
    try {
      while (next < range.to) {
        const k = next++;
        const extra = { from: callsBefore(k), to: callsBefore(k + 1) };
        await oneCycle(zr, clients, calls, { k, extra }, tally);
      }
    } finally {
      await clients.close();
    }
  }));
}

async function bundle(dir: string, entry: string | null): Promise<string[]> {
  const { PROGRAMS } = await import("../../scripts/programs.ts");
  const program = PROGRAMS.find((p) => p.name === "fake-zedrouter")!;
  const root = entry === null
    ? new URL("../../", import.meta.url).pathname
    : new URL("../../", `file://${entry}`).pathname;
  const source = entry ?? `${root}${program.entry}`;
  const out = `${dir}/soak-fake-zedrouter.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "-o", out, source],
    cwd: root,
    stderr: "piped",
  }).output();
  if (!built.success) {
    throw new Error(`deno bundle failed: ${new TextDecoder().decode(built.stderr)}`);
  }
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-config",
    "--cached-only",
    ...program.runFlags,
    ...program.permissions,
    out,
  ];
}

async function soak(sb: Sandbox, settings: Settings): Promise<boolean> {
  const node = await sb.netns("node");
  const pods: SandboxNetns[] = [];
  for (let i = 0; i < CLIENTS; i++) pods.push(await sb.netns(`pod${i}`));
  const config = `${sb.dir}/soak.yaml`;
  await Deno.writeTextFile(config, soakConfig());
  const program = await bundle(sb.dir, settings.entry);
  const zr = await startZedrouter(sb, node, { config, program, extraArgs: ["--quiet"] });
  try {
    return await measure(zr, node, pods, settings);
  } finally {
    await zr.stop();
  }
}

async function measure(
  zr: Zedrouter,
  node: SandboxNetns,
  pods: readonly SandboxNetns[],
  settings: Settings,
): Promise<boolean> {
  const pid = zr.daemon.pid;
  const sample = async (label: string): Promise<ProcessSample> => {
    const taken = await sampleProcess(pid, label);
    const { memory } = await inspect(zr.socket, "Inspect.Health");
    if (memory === undefined) return taken;
    const kb = (bytes: number) => Math.round(bytes / 1024);
    return {
      ...taken,
      heap: { usedKb: kb(memory.heapUsedBytes), externalKb: kb(memory.externalBytes) },
    };
  };
  const samples: ProcessSample[] = [await sample("start")];
  const tally: Tally = { cycles: 0, churnCalls: 0, calls: 0, goPeer: 0, errors: [] };
  const marks = [
    CHURN_MARK,
    Math.max(CHURN_MARK, Math.floor(settings.cycles / 2)),
    settings.cycles,
  ];
  const started = performance.now();
  let from = 0;
  for (const to of new Set(marks)) {
    await runCycles(zr, pods, { from, to }, settings, tally);
    from = to;
    samples.push(await sample(`after ${to} cycles`));
  }
  const ms = performance.now() - started;
  const leaks = await findSoakLeaks({
    socket: zr.socket,
    stateDir: zr.stateDir,
    node: node.ns,
    pods: pods.map((p): Netns => p.ns),
    expectedDnsmasq: 1,
    pid,
  });
  return await report(settings, samples, { tally, ms }, leaks, zr);
}

async function report(
  settings: Settings,
  samples: readonly ProcessSample[],
  run: { tally: Tally; ms: number },
  leaks: Awaited<ReturnType<typeof findSoakLeaks>>,
  zr: Zedrouter,
): Promise<boolean> {
  const { tally, ms } = run;
  const base = samples.find((s) => s.label === `after ${CHURN_MARK} cycles`)!;
  const end = samples.at(-1)!;
  const ratio = end.rssKb / base.rssKb;
  const seconds = ms / 1000;
  const lines = [
    `bench:soak: fake-zedrouter pid ${zr.daemon.pid}` +
    `${settings.entry ? ` (${settings.entry})` : ""}, ${CLIENTS} parallel clients`,
    `  ${tally.cycles} churn cycles (${tally.churnCalls} calls) and ${tally.calls} more calls ` +
    `in ${seconds.toFixed(1)} s: ${(tally.cycles / seconds).toFixed(1)} cycles/s, ` +
    `${((tally.churnCalls + tally.calls) / seconds).toFixed(1)} calls/s, ` +
    `${tally.goPeer} through the Go net/rpc peer`,
    ...samples.map(formatSample),
    `  RSS at the end / after ${CHURN_MARK} cycles: ${ratio.toFixed(2)} (at most 1.50)`,
    `  fds: start ${samples[0]!.fds}, after ${CHURN_MARK} cycles ${base.fds}, end ${end.fds} ` +
    `(children: ${base.childFds} after ${CHURN_MARK} cycles, ${end.childFds} at the end)`,
    `  dnsmasq running: ${(await dnsmasqOf(zr.stateDir)).length} (1 local NI)`,
    `  leaks: ${
      Object.entries(leaks.byKind).map(([kind, found]) => `${kind} ${found.length}`).join(", ")
    }${leaks.total ? `\n    ${Object.values(leaks.byKind).flat().join("\n    ")}` : ""}`,
    `  errors ${tally.errors.length}${tally.errors.length ? ` (first: ${tally.errors[0]})` : ""}`,
  ];
  // deno-lint-ignore no-console
  console.log(lines.join("\n"));
  const fdsFlat = end.fds <= base.fds && end.childFds <= base.childFds;
  return tally.errors.length === 0 && leaks.total === 0 && fdsFlat && ratio <= 1.5;
}

const reason = skipReason("dnsmasq", "go");
if (reason) {
  // deno-lint-ignore no-console
  console.log(`bench:soak skipped: ${reason}`);
  Deno.exit(0);
}
const settings = parseSettings(Deno.args);
let ok = false;
await withSandbox(async (sb) => {
  ok = await soak(sb, settings);
});
if (!ok) Deno.exitCode = 1;
