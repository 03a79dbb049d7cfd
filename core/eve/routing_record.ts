/**
 * The routing-policy record: what eve-bridge's `routingPolicy` did for one pod interface
 * (eth0 or a network instance's), kept on the node beside the attachment's files so that a
 * DHCP renewal can re-apply it, CHECK and eve-cni-debug can verify it against the kernel, and
 * DEL and GC can remove what lives outside the pod (the host's neighbour entries) after the
 * pod's namespace is gone:
 *
 *   <stateDir>/<containerID>/<ifname>.routing    this record (JSON, atomic writes)
 *
 * Not `.json`: the attachment records are `<ifname>.json` and every reader of those lists the
 * directory by that suffix; eth0 has a routing record but no attachment record.
 */
import * as v from "valibot";
import { CidrSchema, errorMessage, IpSchema, MacSchema, readJsonRecordIfExists } from "../mod.ts";
import { containerDirName } from "./container_dir.ts";

export const ROUTING_RECORD_VERSION = 1;
export const ROUTING_RECORD_SUFFIX = ".routing";

/** `<stateDir>/<containerID>/<ifname>.routing`. */
export function routingRecordPath(stateDir: string, containerId: string, ifname: string): string {
  if (containerId.includes("/") || ifname.includes("/") || containerId.startsWith(".")) {
    throw new Error(`Invalid attachment "${containerId}"/"${ifname}" for a record file name`);
  }
  return `${stateDir}/${containerDirName(containerId)}/${ifname}${ROUTING_RECORD_SUFFIX}`;
}

/** A rule source is a host prefix; ip shows `from 10.0.0.5/32` as `10.0.0.5`. */
export function hostPrefix(address: string): string {
  const ip = address.split("/")[0] ?? address;
  return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
}

export const RoutingRuleSchema = v.strictObject({
  src: CidrSchema,
  table: v.number(),
  priority: v.number(),
});
export type RoutingRule = v.InferOutput<typeof RoutingRuleSchema>;

/** A route of the interface's own table: `dst` ("default" or a CIDR) via `gateway` or on-link. */
export const TableRouteSchema = v.strictObject({
  dst: v.string(),
  gateway: v.nullable(IpSchema),
});
export type TableRoute = v.InferOutput<typeof TableRouteSchema>;

/** A route forced via eth0: in `table` ("main" or the interface's own table's number). */
export const HijackRouteSchema = v.strictObject({
  dst: CidrSchema,
  gateway: IpSchema,
  dev: v.string(),
  table: v.string(),
});
export type HijackRoute = v.InferOutput<typeof HijackRouteSchema>;

export const NeighbourEntrySchema = v.strictObject({
  ip: IpSchema,
  dev: v.string(),
  mac: MacSchema,
});
export type NeighbourEntry = v.InferOutput<typeof NeighbourEntrySchema>;

/** The config block resolved for one interface: what every re-apply does again. */
export const RoutingIntentSchema = v.strictObject({
  /** The interface's own table when its routes move out of main (migrateRoute), else null. */
  table: v.nullable(v.number()),
  /** CIDRs routed via eth0, every family (one without an eth0 gateway is skipped). */
  hijackSubnets: v.array(CidrSchema),
  rpFilter: v.nullable(v.picklist([0, 1, 2])),
  neighbours: v.boolean(),
  macPrefix: v.nullable(v.string()),
});
export type RoutingIntent = v.InferOutput<typeof RoutingIntentSchema>;

/** What the last apply left in the kernel (CHECK compares it; DEL removes the host part). */
export const RoutingAppliedSchema = v.strictObject({
  /** The interface's addresses it was applied for. */
  addresses: v.array(CidrSchema),
  /** The MAC macPrefix gave the interface, if any. */
  mac: v.nullable(MacSchema),
  rules: v.array(RoutingRuleSchema),
  /** The routes moved out of main into the interface's table. */
  tableRoutes: v.array(TableRouteSchema),
  hijackRoutes: v.array(HijackRouteSchema),
  /** What was asked for but could not apply here, one sentence each. */
  skipped: v.array(v.string()),
  /** In the pod: the host end's addresses at the host end's MAC. */
  podNeighbours: v.array(NeighbourEntrySchema),
  /** On the node (outside the pod): the pod's addresses at the pod interface's MAC. */
  hostNeighbours: v.array(NeighbourEntrySchema),
});
export type RoutingApplied = v.InferOutput<typeof RoutingAppliedSchema>;

export const RoutingRecordSchema = v.strictObject({
  version: v.literal(ROUTING_RECORD_VERSION),
  containerID: v.string(),
  ifname: v.string(),
  /** The CNI network (config `name`), for GC, which runtimes run one network at a time. */
  network: v.string(),
  netnsPath: v.string(),
  /** CNI_ARGS K8S_POD_NAME ("" without one), so eve-cni-debug can name the pod of eth0's. */
  podName: v.string(),
  /** The node's end of the pod's link: the bridge holding the host's address, if known. */
  hostEnd: v.nullable(v.string()),
  /**
   * A path to the node's network namespace (where hostEnd is), for a re-apply from the DHCP
   * hook, which runs in the pod's; null when none outlives the CNI call.
   */
  hostNetns: v.nullable(v.string()),
  intent: RoutingIntentSchema,
  applied: RoutingAppliedSchema,
  updatedAt: v.string(),
});
export type RoutingRecord = v.InferOutput<typeof RoutingRecordSchema>;

/** One line for people: what the policy of this interface does. */
export function describeRoutingRecord(record: RoutingRecord): string {
  const { intent, applied } = record;
  const parts: string[] = [];
  if (intent.table !== null) {
    const sources = applied.rules.map((r) => r.src).join(", ") || "no address";
    parts.push(`table ${intent.table} (from ${sources})`);
  } else parts.push("main table");
  if (applied.hijackRoutes.length > 0) {
    const dsts = [...new Set(applied.hijackRoutes.map((r) => r.dst))];
    parts.push(`hijack ${dsts.join(" ")} via ${applied.hijackRoutes[0]?.dev}`);
  }
  if (intent.rpFilter !== null) parts.push(`rp_filter ${intent.rpFilter}`);
  if (intent.neighbours) {
    parts.push(
      `neighbours ${applied.podNeighbours.length} pod, ${applied.hostNeighbours.length} host`,
    );
  }
  if (applied.mac !== null) parts.push(`MAC ${applied.mac}`);
  if (applied.skipped.length > 0) parts.push(`skipped: ${applied.skipped.join("; ")}`);
  return parts.join(", ");
}

/** The record at `path`; undefined when there is none; a corrupt one is an error. */
export function readRoutingRecord(path: string): Promise<RoutingRecord | undefined> {
  return readJsonRecordIfExists(path, RoutingRecordSchema, "Routing record");
}

/** Every routing record under `stateDir`; unreadable ones are reported, not fatal. */
export async function listRoutingRecords(stateDir: string): Promise<{
  records: { path: string; record: RoutingRecord }[];
  problems: { path: string; error: string }[];
}> {
  const records: { path: string; record: RoutingRecord }[] = [];
  const problems: { path: string; error: string }[] = [];
  let containers: Deno.DirEntry[];
  try {
    containers = await Array.fromAsync(Deno.readDir(stateDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { records, problems };
    throw error;
  }
  for (const container of containers.filter((c) => c.isDirectory && !c.name.startsWith("."))) {
    const dir = `${stateDir}/${container.name}`;
    const files = await Array.fromAsync(Deno.readDir(dir)).catch(() => [] as Deno.DirEntry[]);
    for (const file of files.filter((f) => f.isFile && f.name.endsWith(ROUTING_RECORD_SUFFIX))) {
      const path = `${dir}/${file.name}`;
      try {
        const record = await readRoutingRecord(path);
        if (record) records.push({ path, record });
      } catch (error) {
        problems.push({ path, error: errorMessage(error) });
      }
    }
  }
  records.sort((a, b) => a.path.localeCompare(b.path));
  return { records, problems };
}
