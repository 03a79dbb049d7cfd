/**
 * What eve-bridge keeps on the node for one pod interface (containerID + ifname), so that DEL,
 * CHECK, GC and the DHCP hook work without anything that lived only in the pod namespace (the
 * namespace may be gone by DEL time). One directory per container under `stateDir`:
 *
 *   <stateDir>/<containerID>/<ifname>.json    this record (atomic writes: temp file + rename)
 *   <stateDir>/<containerID>/<ifname>.events  udhcpc hook events, JSON lines (netns/dhcp_events)
 *   <stateDir>/<containerID>/<ifname>.pid     udhcpc's own pid file
 *   <stateDir>/<containerID>/<ifname>.lock    flock(2) serialising ADD/DEL/CHECK/GC/hook
 *
 * The names cannot collide: a container ID never holds "/" and an interface name never holds
 * "/" either. flock rather than an O_EXCL lock file: the kernel drops it when its holder dies,
 * so a killed invocation can never wedge later ones.
 */
import * as v from "valibot";
import {
  CidrSchema,
  describeIssues,
  errorMessage,
  IpSchema,
  MacSchema,
  readTextFileIfExists,
  writeFileAtomic,
} from "../../core/mod.ts";

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
  eventFile: v.string(),
  pidFile: v.string(),
  hookScript: v.string(),
});
export type DhcpClientRecord = v.InferOutput<typeof DhcpClientRecordSchema>;

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
  createdAt: v.string(),
  updatedAt: v.string(),
});
export type AttachmentState = v.InferOutput<typeof AttachmentStateSchema>;

export interface AttachmentPaths {
  readonly dir: string;
  readonly state: string;
  readonly events: string;
  readonly pid: string;
  readonly lock: string;
}

export function attachmentPaths(
  stateDir: string,
  containerId: string,
  ifname: string,
): AttachmentPaths {
  if (containerId.includes("/") || ifname.includes("/") || containerId.startsWith(".")) {
    throw new Error(`Invalid attachment "${containerId}"/"${ifname}" for a state file name`);
  }
  const dir = `${stateDir}/${containerId}`;
  return {
    dir,
    state: `${dir}/${ifname}.json`,
    events: `${dir}/${ifname}.events`,
    pid: `${dir}/${ifname}.pid`,
    lock: `${dir}/${ifname}.lock`,
  };
}

/** The record at `path`, undefined when there is none; a corrupt file is an error. */
export async function readState(path: string): Promise<AttachmentState | undefined> {
  const text = await readTextFileIfExists(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`State file "${path}" is not JSON: ${error}`);
  }
  const parsed = v.safeParse(AttachmentStateSchema, json);
  if (!parsed.success) {
    throw new Error(`State file "${path}" is invalid: ${describeIssues(parsed.issues)}`);
  }
  return parsed.output;
}

/** Writes the record atomically: readers see the old or the new file, never half of one. */
export async function writeState(path: string, state: AttachmentState): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes every file of the attachment (lock last) and the container dir once empty. */
export async function removeAttachmentFiles(paths: AttachmentPaths): Promise<void> {
  for (const file of [paths.state, paths.events, paths.pid, paths.lock]) {
    await Deno.remove(file).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  // Another interface of the same container may still have files here: then it stays.
  await Deno.remove(paths.dir).catch(() => {});
}

/**
 * Runs `body` holding the attachment's exclusive flock. Waits for a holder (ADD is bounded by
 * its DHCP and RPC timeouts). A waiter that got the lock of a file DEL just unlinked sees no
 * state and does nothing, which is the right outcome for every command.
 */
export async function withAttachmentLock<T>(
  paths: AttachmentPaths,
  body: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const file = await Deno.open(paths.lock, { create: true, write: true });
  try {
    await file.lock(true);
    return await body();
  } finally {
    file.close(); // closing drops the flock
  }
}

/**
 * Every attachment record under `stateDir` (GC); unreadable files are reported, not fatal.
 * `orphans` are attachments with files (lock, pid, events) but no record: an ADD that died
 * before writing it, or one that is running right now (GC re-checks under the lock).
 */
export async function listStates(stateDir: string): Promise<{
  states: { paths: AttachmentPaths; state: AttachmentState }[];
  orphans: AttachmentPaths[];
  problems: string[];
}> {
  const states: { paths: AttachmentPaths; state: AttachmentState }[] = [];
  const orphans: AttachmentPaths[] = [];
  const problems: string[] = [];
  let containers: Deno.DirEntry[] = [];
  try {
    containers = await Array.fromAsync(Deno.readDir(stateDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { states, orphans, problems };
    throw error;
  }
  for (const container of containers) {
    if (!container.isDirectory || container.name.startsWith(".")) continue;
    const files = (await Array.fromAsync(Deno.readDir(`${stateDir}/${container.name}`)))
      .filter((e) => e.isFile).map((e) => e.name);
    const ifnames = new Set(
      files.map((f) => /^(.+)\.(json|lock|pid|events)$/.exec(f)?.[1]).filter((n) =>
        n !== undefined
      ),
    );
    for (const ifname of ifnames) {
      const paths = attachmentPaths(stateDir, container.name, ifname);
      if (!files.includes(`${ifname}.json`)) {
        orphans.push(paths);
        continue;
      }
      try {
        const state = await readState(paths.state);
        if (state) states.push({ paths, state });
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
  }
  return { states, orphans, problems };
}

export function nowIso(): string {
  return new Date().toISOString();
}
