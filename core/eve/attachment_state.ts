/**
 * The eve-bridge state file: what eve-bridge keeps on the node for one pod interface
 * (containerID + ifname), so that DEL, CHECK, GC and the DHCP hook work without anything that
 * lived only in the pod namespace (the namespace may be gone by DEL time). eve-bridge writes
 * it (plugin/eve-bridge/attachment_state.ts); eve-cni-debug reads it. One directory per
 * container under `stateDir`:
 *
 *   <stateDir>/<containerID>/<ifname>.json    this record (atomic writes: temp file + rename)
 *   <stateDir>/<containerID>/<ifname>.events  udhcpc hook events, JSON lines (netns/dhcp_events)
 *   <stateDir>/<containerID>/<ifname>.pid     udhcpc's own pid file
 *   <stateDir>/<containerID>/<ifname>.lock    flock(2) serialising ADD/DEL/CHECK/GC/hook
 *   <stateDir>/<containerID>/<ifname>.reserve space ADD sets aside while udhcpc runs: a hook
 *                                             that finds the disk full deletes it to record
 *                                             the lease anyway (plugin/eve-bridge/dhcp/hook.ts)
 *   <stateDir>/<containerID>/<ifname>.routing the routing policy's record, if it has one
 *                                             (routing_record.ts; eth0 may have one too)
 *
 * The names cannot collide: a container ID never holds "/" and an interface name never holds
 * "/" either. A container ID too long for a file name is hashed (container_dir.ts).
 */
import * as v from "valibot";
import { CidrSchema, IpSchema, MacSchema } from "../mod.ts";
import { containerDirName } from "./container_dir.ts";
import { routingRecordPath } from "./routing_record.ts";

export const STATE_VERSION = 1;

export const LeaseRecordSchema = v.strictObject({
  address: CidrSchema,
  gateway: v.nullable(IpSchema),
  routes: v.array(v.strictObject({ dst: CidrSchema, via: IpSchema })),
  dns: v.array(IpSchema),
  domain: v.nullable(v.string()),
  leaseSeconds: v.number(),
  serverId: v.nullable(IpSchema),
  obtainedAt: v.string(),
});
export type LeaseRecord = v.InferOutput<typeof LeaseRecordSchema>;

export const DhcpClientRecordSchema = v.strictObject({
  /** udhcpc's pid (it runs in the pod netns, in its own session). */
  pid: v.pipe(v.number(), v.integer(), v.minValue(2)),
  /**
   * When it started (field 22 of /proc/<pid>/stat): pid and start time name the process, so a
   * recycled pid is never signalled (core/eve/dhcp_client.ts). Absent in older records.
   */
  startTime: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  eventFile: v.string(),
  pidFile: v.string(),
  hookScript: v.string(),
});
export type DhcpClientRecord = v.InferOutput<typeof DhcpClientRecordSchema>;

/**
 * What a DHCP lease of the attachment may not touch (plugin/eve-bridge/lease_policy.ts), from
 * the config at ADD, so that renewals, which have no config, protect the same.
 */
export const LeasePolicyRecordSchema = v.strictObject({
  clusterRanges: v.array(CidrSchema),
  nodeAddresses: v.array(IpSchema),
  allowLinkLocal: v.boolean(),
});
export type LeasePolicyRecord = v.InferOutput<typeof LeasePolicyRecordSchema>;

export const AttachmentStateSchema = v.strictObject({
  version: v.literal(STATE_VERSION),
  containerID: v.string(),
  ifname: v.string(),
  /**
   * The CNI network (`name` of the config) the attachment belongs to. Runtimes GC one network
   * at a time, listing only that network's attachments; every NAD shares stateDir.
   */
  network: v.string(),
  netnsPath: v.string(),
  podName: v.string(),
  podNamespace: v.string(),
  mac: MacSchema,
  /** A `virt-launcher-*` pod: L2 only, the guest runs DHCP itself. */
  vmi: v.boolean(),
  /** ConnectPodAtL2's answer: false for an air-gapped switch NI. */
  useDHCP: v.boolean(),
  appUUID: v.string(),
  /** Where to reach zedrouter and where to log, for DEL/GC and the DHCP hook. */
  zedrouterSocket: v.string(),
  logFile: v.string(),
  /** adding: ADD is still running (or died); ready: ADD succeeded. */
  phase: v.picklist(["adding", "ready"]),
  dhcp: v.nullable(DhcpClientRecordSchema),
  lease: v.nullable(LeaseRecordSchema),
  /** Absent in records written before the lease policy: k3s's ranges are protected then. */
  leasePolicy: v.optional(LeasePolicyRecordSchema),
  createdAt: v.string(),
  updatedAt: v.string(),
});
export type AttachmentState = v.InferOutput<typeof AttachmentStateSchema>;

/** The files of one attachment, beside its record (`.json`), in the order they are removed. */
export const ATTACHMENT_FILE_SUFFIXES = [
  ".json",
  ".events",
  ".pid",
  ".reserve",
  ".lock",
] as const;

export interface AttachmentPaths {
  readonly dir: string;
  readonly state: string;
  readonly events: string;
  readonly pid: string;
  readonly lock: string;
  /** Disk space set aside for the DHCP hook (see the layout above). */
  readonly reserve: string;
  /** The interface's routing-policy record (routing_record.ts), when it has a policy. */
  readonly routing: string;
}

export function attachmentPaths(
  stateDir: string,
  containerId: string,
  ifname: string,
): AttachmentPaths {
  if (containerId.includes("/") || ifname.includes("/") || containerId.startsWith(".")) {
    throw new Error(`Invalid attachment "${containerId}"/"${ifname}" for a state file name`);
  }
  const dir = `${stateDir}/${containerDirName(containerId)}`;
  return {
    dir,
    state: `${dir}/${ifname}.json`,
    events: `${dir}/${ifname}.events`,
    pid: `${dir}/${ifname}.pid`,
    lock: `${dir}/${ifname}.lock`,
    reserve: `${dir}/${ifname}.reserve`,
    routing: routingRecordPath(stateDir, containerId, ifname),
  };
}

/** A record read field by field: what a reader of any eve-bridge's files can rely on. */
export type SalvagedState = {
  [K in keyof AttachmentState]?: K extends "dhcp" ? Partial<DhcpClientRecord> | null
    : K extends "lease" ? Partial<LeaseRecord> | null
    : AttachmentState[K];
};

/**
 * The fields of `raw` that pass the writer's own schema, each on its own (nested records
 * too): a debugging tool still reads a record from an older or newer eve-bridge, or one
 * written by hand, and sees every field that is right. A missing or invalid field is left out.
 */
export function salvageState(raw: unknown): SalvagedState {
  return salvageEntries(AttachmentStateSchema.entries, raw) as SalvagedState;
}

type Entries = Readonly<Record<string, v.GenericSchema>>;

function salvageEntries(entries: Entries, raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof raw !== "object" || raw === null) return out;
  for (const [key, schema] of Object.entries(entries)) {
    const value = (raw as Record<string, unknown>)[key];
    const nested = nestedEntries(schema);
    if (nested !== undefined && typeof value === "object" && value !== null) {
      out[key] = salvageEntries(nested, value);
      continue;
    }
    const parsed = v.safeParse(schema, value);
    // An optional field that is absent stays absent.
    if (parsed.success && parsed.output !== undefined) out[key] = parsed.output;
  }
  return out;
}

/** The entries of an object schema, or of the object inside a nullable one. */
function nestedEntries(schema: v.GenericSchema): Entries | undefined {
  const inner = "wrapped" in schema ? schema.wrapped as v.GenericSchema : schema;
  return "entries" in inner ? inner.entries as Entries : undefined;
}
