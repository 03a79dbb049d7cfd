/**
 * GC of eth0's addresses. eth0 is delegated to bridge + host-local, and Debian's (1.1.1) stop at
 * cniVersion 1.0.0: they have no GC, so a pod the runtime lost without a DEL would hold its
 * host-local address for good. eve-bridge does what host-local's own GC does in newer plugins:
 * read host-local's allocations for this network (`<ipam.dataDir>/<network name>/<ip>`, each
 * file holding `containerID` and, in newer versions, `\r\n<ifname>`) and release each one whose
 * attachment the runtime did not list, with host-local DEL for that container and interface.
 * The pod's veth went with its namespace; there is none to remove without one.
 *
 * A host-local that speaks 1.1.0 got GC forwarded (plugin.ts) and is left to do it itself; other
 * IPAM plugins keep their own books, which eve-bridge cannot read.
 */
import { errorMessage } from "../../core/mod.ts";
import { delegate, delegateSupports, EveErrorCode, runAll, type Step } from "../cni/mod.ts";
import type { EveGcContext } from "./handler.ts";

export const HOST_LOCAL = "host-local";
/** host-local's default `dataDir`. */
export const HOST_LOCAL_DATA_DIR = "/var/lib/cni/networks";

/** One address host-local handed out: its file name is the IP. */
export interface HostLocalAllocation {
  readonly ip: string;
  readonly containerID: string;
  /** Absent in files written before host-local recorded it. */
  readonly ifname?: string;
}

/** An IPv4 or IPv6 address as host-local names its files (skips `lock`, `last_reserved_ip.0`). */
const ALLOCATION_FILE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

/** The allocations in one network's host-local directory; none when it does not exist. */
export async function readHostLocalAllocations(dir: string): Promise<HostLocalAllocation[]> {
  const allocations: HostLocalAllocation[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !ALLOCATION_FILE.test(entry.name)) continue;
      const [containerID = "", ifname = ""] = (await Deno.readTextFile(`${dir}/${entry.name}`))
        .split(/\r?\n/).map((line) => line.trim());
      if (containerID === "") continue;
      allocations.push({ ip: entry.name, containerID, ...(ifname !== "" && { ifname }) });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return allocations.sort((a, b) => a.ip.localeCompare(b.ip));
}

/** Whether the keep-list names this allocation (an old one without ifname: by container). */
export function isListed(
  allocation: HostLocalAllocation,
  valid: EveGcContext["validAttachments"],
): boolean {
  return valid.some((a) =>
    a.containerID === allocation.containerID &&
    (allocation.ifname === undefined || a.ifname === allocation.ifname)
  );
}

export async function gcHostLocalAddresses(ctx: EveGcContext): Promise<void> {
  const ipam = ctx.config.ipam as Record<string, unknown> | undefined;
  if (ipam?.type !== HOST_LOCAL) return;
  if (await delegateSupports(ctx, HOST_LOCAL, "1.1.0")) return;
  const name = ctx.config.name;
  // host-local makes the directory from the name; one that would leave dataDir is not ours.
  if (name.includes("/") || name === "." || name === "..") {
    ctx.logger.warn("GC skips host-local: network name {name} is not a directory name", { name });
    return;
  }
  const dataDir = typeof ipam.dataDir === "string" ? ipam.dataDir : HOST_LOCAL_DATA_DIR;
  const dir = `${dataDir.replace(/\/+$/, "")}/${name}`;
  let allocations: HostLocalAllocation[];
  try {
    allocations = await readHostLocalAllocations(dir);
  } catch (error) {
    throw new Error(`Cannot read host-local's allocations in "${dir}": ${errorMessage(error)}`);
  }
  // IPAM plugins get the whole network config; host-local reads only name and ipam of it.
  const config = ctx.rawConfig;
  const stale: Step[] = allocations
    .filter((allocation) => !isListed(allocation, ctx.validAttachments))
    .map((allocation) => ({
      label: `eth0 address ${allocation.ip} of ${allocation.containerID}`,
      run: () => {
        // host-local releases by container and interface; no namespace is needed or known.
        const env: Record<string, string> = {
          ...ctx.env,
          CNI_CONTAINERID: allocation.containerID,
          CNI_IFNAME: allocation.ifname ?? "eth0",
        };
        delete env.CNI_NETNS;
        return delegate({ ...ctx, env }, HOST_LOCAL, config, { command: "DEL", prevResult: null });
      },
    }));
  ctx.logger.info("GC releases {count} stale eth0 address(es) of host-local", {
    count: stale.length,
    dir,
  });
  await runAll(stale, ctx.logger, {
    code: EveErrorCode.GcPartialFailure,
    msg: "GC could not release every stale eth0 address",
  });
}
