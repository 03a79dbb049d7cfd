/**
 * eve-bridge's node-side state: one JSON file per pod interface, written by its pod-interface
 * flow as `<stateDir>/<containerID>/<ifname>.json` beside `<ifname>.events`, `.pid` and
 * `.lock`. The writer's schema is `AttachmentStateSchema` in plugin/eve-bridge/attachment_state.ts;
 * cli/ may not import plugin/, so this is THE ONE PLACE in eve-cni-debug that knows that format:
 * `EveBridgeStateFileSchema` below, with the writer's field names and nothing else. It is loose
 * on purpose: beyond containerID and ifname every field may be missing, so a debugging tool
 * still reads a record from an older or newer eve-bridge, or one ADD left half-filled.
 * tests/eve_bridge_pod_state_format_test.ts writes a record with eve-bridge's own code and
 * reads it back here: rename a field there and that test fails.
 */
import * as v from "valibot";
import { describeIssues, errorMessage } from "../../core/mod.ts";

const optionalString = v.optional(v.nullable(v.string()));
const optionalPid = v.optional(v.nullable(v.number()));
const optionalBoolean = v.optional(v.nullable(v.boolean()));

export const EveBridgeStateFileSchema = v.looseObject({
  containerID: v.optional(v.string()),
  ifname: v.optional(v.string()),
  podName: optionalString,
  podNamespace: optionalString,
  netnsPath: optionalString,
  mac: optionalString,
  appUUID: optionalString,
  /** null when eve-bridge runs no DHCP client (a VMI, or an air-gapped switch NI). */
  dhcp: v.optional(v.nullable(v.looseObject({ pid: optionalPid, eventFile: optionalString }))),
  lease: v.optional(v.nullable(v.looseObject({ address: optionalString }))),
  phase: optionalString,
  vmi: optionalBoolean,
  useDHCP: optionalBoolean,
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
  if (!s.containerID || !s.ifname) throw new Error("missing containerID or ifname");
  return {
    path,
    containerId: s.containerID,
    ifname: s.ifname,
    podName: s.podName ?? null,
    podNamespace: s.podNamespace ?? null,
    netnsPath: s.netnsPath ?? null,
    mac: s.mac?.toLowerCase() ?? null,
    appUuid: s.appUUID ?? null,
    dhcpClientPid: s.dhcp?.pid ?? null,
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

/**
 * The paths of every state file under `stateDir`: `<containerID>/<ifname>.json`, and any
 * `.json` directly in it. A missing dir holds none; any other failure to list it is thrown.
 */
export function eveBridgeStateFiles(stateDir: string): Promise<string[]> {
  return jsonFiles(stateDir, 1);
}

/** Every state file under `stateDir`, read. */
export async function readEveBridgeState(stateDir: string): Promise<{
  records: EveBridgeRecord[];
  unreadable: { path: string; error: string }[];
}> {
  const records: EveBridgeRecord[] = [];
  const unreadable: { path: string; error: string }[] = [];
  for (const path of await eveBridgeStateFiles(stateDir)) {
    try {
      records.push(normaliseRecord(path, JSON.parse(await Deno.readTextFile(path))));
    } catch (error) {
      unreadable.push({ path, error: errorMessage(error) });
    }
  }
  return { records, unreadable };
}
