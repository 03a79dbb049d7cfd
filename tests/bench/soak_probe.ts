/**
 * What bench:soak reads about the fake-zedrouter process and what it left behind, from where
 * it lives: /proc for the process (RSS, file descriptors, children), the kernel for veths,
 * /proc again for dnsmasq, the Inspect service and the state file for attachments.
 */
import { callOnce } from "../../rpc/mod.ts";
import { isHostVethName } from "../../core/eve/mod.ts";
import { listLinks, type Netns, systemRunner } from "../../netns/mod.ts";

export interface ProcessSample {
  readonly label: string;
  readonly rssKb: number;
  readonly fds: number;
  /** Pids of its child processes (ip -batch, dnsmasq). */
  readonly children: readonly number[];
  /** Their file descriptors, all together. */
  readonly childFds: number;
  /** The daemon's own Deno.memoryUsage() (Inspect.Health), in KiB, when it reports it. */
  readonly heap?: { readonly usedKb: number; readonly externalKb: number };
}

function statusField(status: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
}

/** Children of `pid`, by scanning /proc/<n>/stat for its ppid. */
export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) out.push(Number(entry.name));
  }
  return out.sort((a, b) => a - b);
}

/** Where the file descriptors of `pid` point. */
async function fdTargets(pid: number): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
      out.push(await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "?"));
    }
  } catch {
    // It exited meanwhile.
  }
  return out;
}

export async function sampleProcess(pid: number, label: string): Promise<ProcessSample> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const fds = (await fdTargets(pid)).length;
  const children = await childrenOf(pid);
  let childFds = 0;
  for (const child of children) childFds += (await fdTargets(child)).length;
  return { label, rssKb: statusField(status, "VmRSS"), fds, children, childFds };
}

const mb = (kb: number): string => (kb / 1024).toFixed(1).padStart(7);

export function formatSample(s: ProcessSample): string {
  const heap = s.heap === undefined
    ? ""
    : `   JS heap ${mb(s.heap.usedKb)} MB, external ${mb(s.heap.externalKb)} MB`;
  return `  ${s.label.padEnd(26)} RSS ${mb(s.rssKb)} MB   fds ${String(s.fds).padStart(4)}   ` +
    `children ${s.children.length} (${s.childFds} fds)${heap}`;
}

/** Namespace files its children hold open (a deleted pod netns would live on). */
async function heldNamespaces(pid: number): Promise<string[]> {
  const out: string[] = [];
  for (const child of await childrenOf(pid)) {
    for (const target of await fdTargets(child)) {
      if (target.includes("/netns/") || target.startsWith("net:[")) out.push(`${child}: ${target}`);
    }
  }
  return out;
}

async function cmdlineOf(pid: number): Promise<string[]> {
  const raw = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  return raw.split("\0").filter((a) => a !== "");
}

export interface LeakReport {
  /** Kind -> what was found (empty = none). */
  readonly byKind: Readonly<Record<string, readonly string[]>>;
  readonly total: number;
}

export interface LeakScope {
  readonly socket: string;
  readonly stateDir: string;
  readonly node: Netns;
  readonly pods: readonly Netns[];
  /** dnsmasq processes that should run (one per local NI). */
  readonly expectedDnsmasq: number;
  /** The fake-zedrouter process. */
  readonly pid: number;
}

/** Everything the churn could have left behind, by kind. */
export async function findSoakLeaks(scope: LeakScope): Promise<LeakReport> {
  const hostVeths = (await listLinks(systemRunner, scope.node))
    .filter((l) => isHostVethName(l.name)).map((l) => `host ${l.name}`);
  const podLinks: string[] = [];
  for (const pod of scope.pods) {
    for (const l of await listLinks(systemRunner, pod)) {
      if (l.name !== "lo") podLinks.push(`${"name" in pod ? pod.name : pod.path} ${l.name}`);
    }
  }
  const dnsmasq: string[] = [];
  for (const pid of await dnsmasqOf(scope.stateDir)) dnsmasq.push(`pid ${pid}`);
  const extraDnsmasq = dnsmasq.length > scope.expectedDnsmasq ? dnsmasq : [];
  const { attachments } = await callOnce(scope.socket, "Inspect.Attachments", {});
  const state = JSON.parse(await Deno.readTextFile(`${scope.stateDir}/state.json`)) as {
    attachments?: Record<string, unknown>;
  };
  const byKind = {
    veths: [...hostVeths, ...podLinks],
    dnsmasq: extraDnsmasq,
    attachments: attachments.map((a) => `${a.podName} ${a.podIfName} (${a.hostIfName})`),
    state: Object.keys(state.attachments ?? {}).map((key) => `state.json attachment ${key}`),
    "held namespaces": await heldNamespaces(scope.pid),
  };
  const total = Object.values(byKind).reduce((n, list) => n + list.length, 0);
  return { byKind, total };
}

/** dnsmasq processes started on a config in `stateDir`. */
export async function dnsmasqOf(stateDir: string): Promise<number[]> {
  const out: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const argv = await cmdlineOf(Number(entry.name));
    if (argv[0]?.endsWith("dnsmasq") && argv.some((a) => a.includes(stateDir))) {
      out.push(Number(entry.name));
    }
  }
  return out;
}
