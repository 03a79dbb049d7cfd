/**
 * The routing-policy e2e tests' node and readings: conflists with a `routingPolicy` block,
 * peers that reach a pod's address through its network instance's gateway (so the reply's
 * way out is the pod's routing decision, not a connected route), and what the kernel shows:
 * per-interface counters, rules, tables, neighbour entries, sysctls.
 */
import {
  execArgv,
  getSysctl,
  interfaceSysctlKey,
  listNeighbours,
  listRoutes,
  listRules,
  type RouteInfo,
  runChecked,
  systemRunner as run,
} from "../../netns/mod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import type { E2ePod } from "../../scripts/sandbox/pod.ts";
import type { SandboxNetns } from "../../scripts/sandbox/sandbox.ts";

/**
 * A copy of `conflist` whose eve-bridge plugin carries `policy` (undefined: unchanged);
 * `alone` drops the plugins chained after eve-bridge (a NAD as EVE ships it is eve-bridge only).
 */
export async function conflistWithPolicy(
  node: E2eNode,
  conflist: string,
  name: string,
  policy: Record<string, unknown> | undefined,
  options: { alone?: boolean } = {},
): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(conflist));
  if (policy !== undefined) config.plugins[0].routingPolicy = policy;
  if (options.alone) config.plugins = config.plugins.slice(0, 1);
  const path = `${node.dir}/net.d/${name}.conflist`;
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  return path;
}

/** A peer beyond a network instance's gateway: its own /30 to the node, routed by the node. */
export interface Peer {
  netns: SandboxNetns;
  address: string;
}

/**
 * `peer<n>` at 10.200.<n>.2, linked to the node (10.200.<n>.1) and routing everything via
 * it; the node forwards between its peers and the NI bridges.
 */
export async function addPeer(node: E2eNode, n: number): Promise<Peer> {
  const netns = await node.sb.netns(`peer${n}`);
  const exec = (ns: SandboxNetns, args: string[]) => runChecked(run, execArgv(ns.ns, args));
  await exec(node.ns, [
    "ip",
    "link",
    "add",
    `peer${n}`,
    "type",
    "veth",
    "peer",
    "name",
    "up0",
    "netns",
    netns.path,
  ]);
  await exec(node.ns, ["ip", "addr", "add", `10.200.${n}.1/24`, "dev", `peer${n}`]);
  await exec(node.ns, ["ip", "link", "set", `peer${n}`, "up"]);
  await exec(netns, ["ip", "addr", "add", `10.200.${n}.2/24`, "dev", "up0"]);
  await exec(netns, ["ip", "link", "set", "up0", "up"]);
  await exec(netns, ["ip", "route", "add", "default", "via", `10.200.${n}.1`]);
  await exec(node.ns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
  return { netns, address: `10.200.${n}.2` };
}

/** `count` echoes from the peer to `address`; resolves to how many were answered. */
export async function pingFrom(peer: Peer, address: string, count: number): Promise<number> {
  const r = await run(
    execArgv(peer.netns.ns, ["ping", "-c", String(count), "-i", "0.2", "-W", "2", address]),
  );
  return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
}

/** Packets each interface of the pod has sent, read from the kernel's counters. */
export async function txPackets(pod: E2ePod): Promise<Map<string, number>> {
  const out = await runChecked(run, execArgv(pod.netns.ns, ["ip", "-j", "-s", "link", "show"]));
  const links = JSON.parse(out) as { ifname: string; stats64?: { tx?: { packets?: number } } }[];
  return new Map(links.map((l) => [l.ifname, l.stats64?.tx?.packets ?? 0]));
}

/** Routes as `dst [via gw] dev if [table t]` lines, sorted (every table but local). */
export async function routeLines(
  ns: SandboxNetns | E2ePod["netns"],
  table = "all",
): Promise<string[]> {
  const routes = await listRoutes(run, ns.ns, { table });
  return routes.filter((r) => r.table !== "local").map(routeLine).sort();
}

export function routeLine(r: RouteInfo): string {
  return [
    r.dst,
    r.gateway && `via ${r.gateway}`,
    r.dev && `dev ${r.dev}`,
    r.table && `table ${r.table}`,
  ]
    .filter((x) => x).join(" ");
}

/** Rules (IPv4 and IPv6) as `pref: from src lookup table` lines. */
export async function ruleLines(pod: E2ePod): Promise<string[]> {
  const rules = [
    ...await listRules(run, pod.netns.ns, "inet"),
    ...await listRules(run, pod.netns.ns, "inet6"),
  ];
  return rules.map((r) => `${r.priority}: from ${r.src} lookup ${r.table}`);
}

/** Permanent neighbour entries of a namespace as `ip dev mac` lines. */
export async function permanentNeighbours(ns: SandboxNetns | E2ePod["netns"]): Promise<string[]> {
  return (await listNeighbours(run, ns.ns))
    .filter((n) => n.state.includes("PERMANENT"))
    .map((n) => `${n.ip} ${n.dev} ${n.mac}`)
    .sort();
}

export async function rpFilter(pod: E2ePod, ifname: string): Promise<string> {
  return await getSysctl(run, pod.netns.ns, interfaceSysctlKey("ipv4", ifname, "rp_filter"));
}

/** A routing-policy link of `eve-cni-debug show`, as its JSON model has it. */
export interface ShownPolicy {
  status: string;
  detail: string;
  problems: string[];
}

/**
 * `eve-cni-debug show POD --json` on the node: each interface's routing-policy link; `text`
 * is the same command's human output (what an on-call engineer reads).
 */
export async function shownPolicies(
  node: E2eNode,
  pod: E2ePod,
): Promise<{ exitCode: number; links: Map<string, ShownPolicy>; text: string }> {
  const argv = [EVE_CNI_DEBUG, "show", pod.name, "--socket", node.socket];
  argv.push("--state-dir", node.stateDir, "--host-netns", node.ns.name);
  const r = await run([...argv, "--json"]);
  const model = JSON.parse(r.stdout) as {
    chains: { ifname: string; links: ({ step: string } & ShownPolicy)[] }[];
  };
  const links = new Map(
    model.chains.flatMap((c) =>
      c.links.filter((l) => l.step === "routing-policy").map((l) => [c.ifname, l] as const)
    ),
  );
  return { exitCode: r.code, links, text: (await run(argv)).stdout };
}
