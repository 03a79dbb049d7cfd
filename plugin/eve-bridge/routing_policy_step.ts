/**
 * The routing-policy step of ADD (after zedrouter's L3 step, or after bridge for eth0) and of
 * a DHCP renewal that moved the pod's address: read the pod's routing state, plan, write the
 * record (before acting, so an interrupted apply can still be undone from it), then run the
 * pod's commands, the node's (neighbour entries) and the rp_filter sysctls. A handful of
 * processes in all: one `ip -batch` per namespace plus the reads.
 */
import {
  readRoutingRecord,
  ROUTING_RECORD_VERSION,
  type RoutingIntent,
  type RoutingRecord,
  routingRecordPath,
  type TableRoute,
} from "../../core/eve/mod.ts";
import { isoTime, writeFileAtomic } from "../../core/mod.ts";
import {
  listRules,
  type Netns,
  ownNetnsPath,
  readInterfaceView,
  readRoutingView,
  type RoutingView,
  runIpBatch,
  type Runner,
} from "../../netns/mod.ts";
import type { CniLogger } from "../cni/mod.ts";
import { interfaceAddresses, planRouting } from "./routing_policy_plan.ts";
import type { HostEnd } from "./routing_policy_neighbours.ts";
import { resolveIntent } from "./routing_policy_resolve.ts";
import { applyRpFilter } from "./routing_policy_rp_filter.ts";
import type { RoutingPolicy } from "./routing_policy_schema.ts";

/** Which pod interface, and where its record lives. */
export interface RoutingTarget {
  readonly stateDir: string;
  readonly containerId: string;
  readonly ifname: string;
  /** The CNI network name (config `name`). */
  readonly network: string;
  readonly podName: string;
  readonly netnsPath: string;
  /** The node's end of the link (the bridge), from the interface's CNI result. */
  readonly hostEnd: string | null;
}

export function recordPathOf(
  target: Pick<RoutingTarget, "stateDir" | "containerId" | "ifname">,
): string {
  return routingRecordPath(target.stateDir, target.containerId, target.ifname);
}

export async function writeRoutingRecord(path: string, record: RoutingRecord): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
}

/** The pod's routing state; IPv6 rules too when the interface (or its last apply) has IPv6. */
export async function podView(
  runner: Runner,
  ns: Netns,
  ifname: string,
  previous: RoutingRecord | undefined,
): Promise<RoutingView> {
  const view = await readRoutingView(runner, ns);
  const inet6 = interfaceAddresses(view, ifname).some((a) => a.family === "inet6") ||
    (previous?.applied.rules ?? []).some((r) => r.src.includes(":"));
  if (!inet6) return view;
  return { ...view, rules: [...view.rules, ...(await listRules(runner, ns, "inet6"))] };
}

/**
 * Where the node's side is: the caller's own namespace in a CNI call (undefined), the
 * recorded one from the DHCP hook (which runs in the pod's), or null when it cannot be named.
 */
type HostSide = { ns: Netns | undefined } | null;

async function hostEndView(
  runner: Runner,
  host: HostSide,
  name: string | null,
): Promise<HostEnd | null> {
  if (name === null || host === null) return null;
  const view = await readInterfaceView(runner, host.ns, name);
  if (!view) return null;
  return { name, mac: view.link.mac, addresses: view.addresses, neighbours: view.neighbours };
}

interface ApplyInput {
  /** When the step began (performance.now()), for its log line. */
  started: number;
  path: string;
  target: Omit<RoutingTarget, "stateDir">;
  host: HostSide;
  hostNetns: string | null;
  intentOf: (view: RoutingView) => RoutingIntent;
  /** Routes the interface's table must hold whatever main has (the lease's). */
  routes: readonly TableRoute[];
  previous: RoutingRecord | undefined;
}

async function apply(
  runner: Runner,
  { started, path, target, host, hostNetns, intentOf, routes, previous }: ApplyInput,
  logger: CniLogger,
): Promise<RoutingRecord> {
  const ns: Netns = { path: target.netnsPath };
  const view = await podView(runner, ns, target.ifname, previous);
  const intent = intentOf(view);
  const hostEnd = intent.neighbours || previous?.applied.hostNeighbours.length
    ? await hostEndView(runner, host, target.hostEnd)
    : null;
  const plan = planRouting({
    intent,
    ifname: target.ifname,
    view,
    hostEnd,
    routes,
    previous: previous?.applied ?? null,
  });
  const record: RoutingRecord = {
    version: ROUTING_RECORD_VERSION,
    containerID: target.containerId,
    ifname: target.ifname,
    network: target.network,
    netnsPath: target.netnsPath,
    podName: target.podName,
    hostEnd: target.hostEnd,
    hostNetns,
    intent,
    applied: plan.applied,
    updatedAt: isoTime(),
  };
  await writeRoutingRecord(path, record);
  await runIpBatch(runner, ns, plan.pod);
  if (host !== null) await runIpBatch(runner, host.ns, plan.host);
  if (intent.rpFilter !== null) {
    const names = view.links.map((l) => l.name);
    await applyRpFilter(runner, ns, target.ifname, intent.rpFilter, names);
  }
  logger.info("Routing policy of {ifname} applied: {table}", {
    table: intent.table ?? "main",
    rules: plan.applied.rules.map((r) => r.src),
    tableRoutes: plan.applied.tableRoutes.length,
    hijackRoutes: plan.applied.hijackRoutes.length,
    neighbours: plan.applied.podNeighbours.length + plan.applied.hostNeighbours.length,
    skipped: plan.applied.skipped,
    podCommands: plan.pod.length,
    routingMs: Math.round(performance.now() - started),
  });
  for (const note of plan.applied.skipped) logger.warn("Routing policy: {note}", { note });
  return record;
}

/** ADD: applies the config's policy to the interface; the record says what was done. */
export async function applyRoutingPolicy(
  runner: Runner,
  target: RoutingTarget,
  policy: RoutingPolicy,
  routes: readonly TableRoute[],
  logger: CniLogger,
): Promise<RoutingRecord> {
  const started = performance.now();
  const path = recordPathOf(target);
  const previous = await readRoutingRecord(path).catch(() => undefined);
  return await apply(runner, {
    started,
    path,
    target,
    host: { ns: undefined },
    hostNetns: (await ownNetnsPath()) ?? null,
    intentOf: (view) => resolveIntent(policy, target.ifname, view),
    routes,
    previous,
  }, logger);
}

/**
 * After a renewal moved the address: applies the policy recorded at `path` again when its
 * addresses are not the interface's now. Returns whether it did.
 */
export async function reapplyRoutingPolicy(
  runner: Runner,
  path: string,
  currentAddress: string,
  routes: readonly TableRoute[],
  logger: CniLogger,
): Promise<boolean> {
  const started = performance.now();
  const previous = await readRoutingRecord(path);
  if (previous === undefined) return false;
  if (previous.applied.addresses.includes(currentAddress)) return false;
  const { hostNetns } = previous;
  await apply(runner, {
    started,
    path,
    target: { ...previous, containerId: previous.containerID },
    host: hostNetns === null ? null : { ns: { path: hostNetns } },
    hostNetns,
    intentOf: () => previous.intent,
    routes,
    previous,
  }, logger);
  return true;
}
