/**
 * eve-bridge's node-side state as eve-cni-debug sees it: one JSON file per pod interface,
 * `<stateDir>/<containerID>/<ifname>.json` beside its `.events`, `.pid` and `.lock`. The
 * schema and the layout are core/eve/attachment_state.ts, the one eve-bridge writes with;
 * this reads each field on its own (`salvageState`), so a debugging tool still reads a record
 * from an older or newer eve-bridge, or one ADD left half-filled: beyond containerID and
 * ifname every field may be missing. tests/eve_bridge_pod_state_format_test.ts writes a
 * record with eve-bridge's own code and reads it back here.
 */
import { errorMessage } from "../../core/mod.ts";
import { ATTACHMENT_FILE_SUFFIXES, salvageState } from "../../core/eve/mod.ts";

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
  /** The client's start time as recorded (absent in older snapshots and records). */
  dhcpClientStartTime?: number | null;
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
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error("not a JSON object");
  }
  const state = salvageState(raw);
  if (!state.containerID || !state.ifname) throw new Error("missing containerID or ifname");
  return {
    path,
    containerId: state.containerID,
    ifname: state.ifname,
    podName: state.podName ?? null,
    podNamespace: state.podNamespace ?? null,
    netnsPath: state.netnsPath ?? null,
    mac: state.mac ?? null,
    appUuid: state.appUUID ?? null,
    dhcpClientPid: state.dhcp?.pid ?? null,
    dhcpClientStartTime: state.dhcp?.startTime ?? null,
    leaseAddress: state.lease?.address ?? null,
    phase: state.phase ?? null,
    vmi: state.vmi ?? null,
    useDhcp: state.useDHCP ?? null,
    siblings: ATTACHMENT_FILE_SUFFIXES.filter((suffix) => suffix !== ".json")
      .map((suffix) => path.replace(/\.json$/, suffix)),
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
