/**
 * Collects a Snapshot: zedrouter's view, eve-bridge's state files, and the kernel's view of
 * the host namespace, every pod namespace mentioned anywhere, and every DHCP client pid.
 * Only reads; the doctor's --fix acts separately on findings.
 */
import { errorMessage } from "../../core/mod.ts";
import { readProcessFacts } from "../../core/eve/mod.ts";
import { isAlive, listAddrs, listLinks, listRoutes, netnsInode } from "../../netns/mod.ts";
import { macClaims, remoteMacs } from "./cluster_facts.ts";
import type { CommandContext } from "./context.ts";
import { readEveBridgeState } from "./eve_bridge_state.ts";
import { gatherRoutingEntries } from "./routing_facts.ts";
import { hostNetns, netnsFromPath } from "./netns_target.ts";
import type { PodNetnsFact, ProcessFact, Snapshot } from "./snapshot.ts";
import { readZedrouterView, zedrouterSection } from "./zedrouter_view.ts";

async function podFact(ctx: CommandContext, path: string): Promise<PodNetnsFact> {
  const empty = { links: [], addresses: [], routes: [] };
  let inode: number | undefined;
  try {
    inode = await netnsInode(path);
  } catch (error) {
    return { exists: false, inode: null, ...empty, error: String(error) };
  }
  if (inode === undefined) return { exists: false, inode: null, ...empty, error: null };
  const ns = netnsFromPath(path);
  const r = ctx.deps.runner;
  try {
    const [links, addresses, routes] = await Promise.all([
      listLinks(r, ns),
      listAddrs(r, ns),
      listRoutes(r, ns),
    ]);
    return { exists: true, inode, links, addresses, routes, error: null };
  } catch (error) {
    return {
      exists: true,
      inode,
      ...empty,
      error: errorMessage(error),
    };
  }
}

/** What /proc says of a pid: alive, its program, its network namespace. */
export async function processFact(pid: number): Promise<ProcessFact> {
  if (!isAlive(pid)) return { alive: false, command: null, netnsInode: null };
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  const argv0 = cmdline.split("\0")[0] ?? "";
  const link = await Deno.readLink(`/proc/${pid}/ns/net`).catch(() => "");
  const m = /^net:\[(\d+)\]$/.exec(link);
  return {
    alive: true,
    command: argv0 ? argv0.slice(argv0.lastIndexOf("/") + 1) : null,
    netnsInode: m?.[1] ? Number(m[1]) : null,
  };
}

/**
 * Every running udhcpc whose `-p PIDFILE` lies under `stateDir`: eve-bridge's clients, found
 * from /proc rather than from its state files, so a client whose state file is gone shows up.
 */
export async function findDhcpClients(
  stateDir: string,
): Promise<{ pid: number; pidFile: string; netnsInode: number | null; startTime?: number }[]> {
  const out: { pid: number; pidFile: string; netnsInode: number | null; startTime?: number }[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const argv = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => ""))
      .split("\0");
    if (!(argv[0] ?? "").endsWith("udhcpc")) continue;
    const pidFile = argv[argv.indexOf("-p") + 1];
    if (argv.indexOf("-p") < 0 || !pidFile?.startsWith(`${stateDir}/`)) continue;
    const fact = await processFact(Number(entry.name));
    const startTime = readProcessFacts(Number(entry.name))?.startTime;
    if (fact.alive) {
      out.push({
        pid: Number(entry.name),
        pidFile,
        netnsInode: fact.netnsInode,
        ...(startTime !== undefined && startTime >= 0 && { startTime }),
      });
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

export async function gatherSnapshot(ctx: CommandContext): Promise<Snapshot> {
  const { globals: g, deps } = ctx;
  const host = hostNetns(g.hostNetns);
  const [view, eveBridge, hostLinks, routing] = await Promise.all([
    readZedrouterView(ctx),
    readEveBridgeState(g.stateDir),
    listLinks(deps.runner, host),
    gatherRoutingEntries(deps.runner, host, g.stateDir),
  ]);
  const paths = new Set<string>();
  for (const a of view.attachments) paths.add(a.podNetnsPath);
  for (const r of eveBridge.records) if (r.netnsPath) paths.add(r.netnsPath);
  for (const e of routing.entries) paths.add(e.record.netnsPath);
  const pods: Record<string, PodNetnsFact> = {};
  await Promise.all([...paths].sort().map(async (p) => pods[p] = await podFact(ctx, p)));
  const processes: Record<string, ProcessFact> = {};
  for (const r of eveBridge.records) {
    if (r.dhcpClientPid !== null) {
      processes[String(r.dhcpClientPid)] = await processFact(r.dhcpClientPid);
    }
  }
  return {
    collectedAt: deps.now().toISOString(),
    socket: g.socket,
    zedrouter: zedrouterSection(view),
    networkInstances: view.networkInstances,
    apps: view.apps,
    attachments: view.attachments,
    dnsmasq: view.dnsmasq,
    eveBridge: {
      stateDir: g.stateDir,
      ...eveBridge,
      unreadable: [...eveBridge.unreadable, ...routing.unreadable],
      routing: routing.entries,
    },
    hostNetns: g.hostNetns ?? null,
    hostLinks,
    pods: Object.fromEntries(Object.entries(pods).sort(([a], [b]) => a.localeCompare(b))),
    processes,
    dhcpClientsOnNode: await findDhcpClients(g.stateDir),
    remoteMacs: await remoteMacs(deps.runner, host, hostLinks),
    macClaims: await macClaims(ctx),
  };
}
