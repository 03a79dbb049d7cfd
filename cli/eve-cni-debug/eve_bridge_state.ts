/**
 * eve-bridge's node-side state: one JSON file per pod interface, written by its pod-interface
 * flow as `<stateDir>/<containerID>/<ifname>.json` beside `<ifname>.events`, `.pid` and
 * `.lock` (plugin/eve_bridge/attachment_state.ts). THE ONE PLACE in eve-cni-debug that knows
 * that format: `EveBridgeStateFileSchema` below. It is loose on purpose: a debugging tool must
 * still read a record from an older or newer eve-bridge, so it takes the fields it needs and
 * accepts the plausible spellings of each; adjust the aliases here if the writer renames one.
 */
import * as v from "valibot";
import { describeIssues } from "../../core/mod.ts";

const optionalString = v.optional(v.nullable(v.string()));
const optionalPid = v.optional(v.nullable(v.number()));

export const EveBridgeStateFileSchema = v.looseObject({
  containerID: v.optional(v.string()),
  containerId: v.optional(v.string()),
  ifname: v.optional(v.string()),
  ifName: v.optional(v.string()),
  podName: optionalString,
  podNamespace: optionalString,
  pod: v.optional(v.looseObject({ name: optionalString, namespace: optionalString })),
  netns: optionalString,
  netnsPath: optionalString,
  mac: optionalString,
  appUUID: optionalString,
  appUuid: optionalString,
  dhcpClientPid: optionalPid,
  dhcpPid: optionalPid,
  dhcp: v.optional(v.looseObject({ pid: optionalPid, eventFile: optionalString })),
  lease: v.optional(v.nullable(v.looseObject({ address: optionalString }))),
  phase: optionalString,
  vmi: v.optional(v.nullable(v.boolean())),
  useDHCP: v.optional(v.nullable(v.boolean())),
});

/** A state file, normalised: what eve-cni-debug uses of it. */
export interface EveBridgeRecord {
  path: string;
  containerId: string;
  ifname: string;
  podName: string | null;
  podNamespace: string | null;
  netnsPath: string | null;
  mac: string | null;
  appUuid: string | null;
  dhcpClientPid: number | null;
  /** `10.11.12.50/24` as obtained by DHCP. */
  leaseAddress: string | null;
  /** "adding" while ADD runs (or after it died), "ready" once it succeeded; null if unknown. */
  phase: string | null;
  vmi: boolean | null;
  useDhcp: boolean | null;
  /** The attachment's other files (`.events`, `.pid`, `.lock`) that go with the record. */
  siblings: string[];
}

export function normaliseRecord(path: string, raw: unknown): EveBridgeRecord {
  const parsed = v.safeParse(EveBridgeStateFileSchema, raw);
  if (!parsed.success) throw new Error(describeIssues(parsed.issues));
  const s = parsed.output;
  const containerId = s.containerID ?? s.containerId;
  const ifname = s.ifname ?? s.ifName;
  if (!containerId || !ifname) throw new Error("missing containerID or ifname");
  return {
    path,
    containerId,
    ifname,
    podName: s.podName ?? s.pod?.name ?? null,
    podNamespace: s.podNamespace ?? s.pod?.namespace ?? null,
    netnsPath: s.netnsPath ?? s.netns ?? null,
    mac: s.mac?.toLowerCase() ?? null,
    appUuid: s.appUUID ?? s.appUuid ?? null,
    dhcpClientPid: s.dhcpClientPid ?? s.dhcpPid ?? s.dhcp?.pid ?? null,
    leaseAddress: s.lease?.address ?? null,
    phase: s.phase ?? null,
    vmi: s.vmi ?? null,
    useDhcp: s.useDHCP ?? null,
    siblings: [".events", ".pid", ".lock"].map((ext) => path.replace(/\.json$/, ext)),
  };
}

async function jsonFiles(dir: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isFile && entry.name.endsWith(".json")) out.push(path);
      else if (entry.isDirectory && depth > 0) out.push(...await jsonFiles(path, depth - 1));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return out.sort();
}

/** Every state file under `stateDir` (and one level of subdirectories). */
export async function readEveBridgeState(stateDir: string): Promise<{
  records: EveBridgeRecord[];
  unreadable: { path: string; error: string }[];
}> {
  const records: EveBridgeRecord[] = [];
  const unreadable: { path: string; error: string }[] = [];
  for (const path of await jsonFiles(stateDir, 1)) {
    try {
      records.push(normaliseRecord(path, JSON.parse(await Deno.readTextFile(path))));
    } catch (error) {
      unreadable.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { records, unreadable };
}
