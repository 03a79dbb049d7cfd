/**
 * What must be gone after pods are detached, read from where it lives: the NI bridges' ports
 * and permanent neighbour entries (kernel), dnsmasq's lease files, /proc (udhcpc processes of
 * the pods), eve-bridge's state dir, host-local's allocations, libcni's result cache and
 * zedrouter's own attachment list.
 */
import {
  listBridgePorts,
  listLinks,
  listNeighbours,
  readDnsmasqLeases,
  stopPid,
  systemRunner,
} from "../../netns/mod.ts";
import { isHostVethName } from "../../core/eve/mod.ts";
import { SANDBOX_PREFIX } from "./sandbox.ts";
import type { E2eNode } from "./node.ts";
import { POD_NETWORK } from "./node.ts";
import type { E2ePod } from "./pod.ts";
import { type DhcpClientProcess, listDhcpClients } from "./processes.ts";

export { type DhcpClientProcess, listDhcpClients };

/**
 * udhcpc processes of these pods (by netns) or started for this node (by paths in argv). A
 * client whose argv names another sandbox's dir is that sandbox's, even when its netns has the
 * inode one of these pods had: the kernel reuses the inode of a deleted namespace, and tests
 * run in parallel.
 */
export async function dhcpClientsOf(
  node: E2eNode,
  pods: readonly E2ePod[],
): Promise<DhcpClientProcess[]> {
  const inodes = new Set(pods.map((pod) => pod.netnsInode));
  const ours = (arg: string) => arg.includes(node.dir);
  const otherSandbox = (arg: string) => arg.includes(`/${SANDBOX_PREFIX}`) && !ours(arg);
  return (await listDhcpClients()).filter((client) =>
    client.cmdline.some(ours) ||
    (client.netnsInode !== null && inodes.has(client.netnsInode) &&
      !client.cmdline.some(otherSandbox))
  );
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) out.push(...await filesUnder(path));
      else out.push(path);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}

/**
 * Files in eve-bridge's state dir that belong to no attachment: the udhcpc hook scripts it
 * installs once and shares (plugin/eve-bridge/dhcp/hook.ts). Everything else is per-attachment
 * (`<containerID>/<ifname>.{json,events,pid,lock}`) and must go with DEL.
 */
export const SHARED_STATE_FILES = /^udhcpc-[a-z]+\.sh$/;

export interface LeakOptions {
  /** Extra dnsmasq lease files to check (e.g. the upstream server of a switch NI). */
  extraLeaseFiles?: readonly string[];
  /** State-dir files that are not per-attachment state (default SHARED_STATE_FILES). */
  sharedStateFile?: RegExp;
  /** Skip the zedrouter checks (when it was stopped on purpose). */
  zedrouterStopped?: boolean;
  /** Bridge ports the test made itself (a DHCP server's veth), not leaks. */
  otherPorts?: readonly string[];
}

/**
 * Everything these pods could have left behind, one line per leak (empty = clean). Reads
 * the kernel, lease files, /proc and the file system; zedrouter's Inspect service only for
 * its own view of attachments.
 */
export async function findLeaks(
  node: E2eNode,
  pods: readonly E2ePod[],
  options: LeakOptions = {},
): Promise<string[]> {
  const leaks: string[] = [];
  const leaseFiles = [...(options.extraLeaseFiles ?? [])];
  const niBridges = new Set<string>();
  if (!options.zedrouterStopped) {
    const { networkInstances } = await node.inspect("Inspect.NetworkInstances");
    for (const ni of networkInstances) {
      niBridges.add(ni.bridge);
      // An OVS bridge's ports are OVS's (zedrouter reads its database): the kernel lists none.
      const ovs = ni.bridgeType === "ovs";
      const ports = ovs
        ? ni.bridgePorts
        : (await listBridgePorts(systemRunner, node.ns.ns, ni.bridge)).map((p) => p.name);
      for (const port of ports) {
        const uplinks = [ni.port, ni.vxlan?.device, ...(options.otherPorts ?? [])];
        if (!uplinks.includes(port)) {
          leaks.push(`${ovs ? "OVS port" : "veth"} "${port}" still on bridge "${ni.bridge}"`);
        }
      }
    }
    const { attachments } = await node.inspect("Inspect.Attachments");
    for (const a of attachments) {
      leaks.push(`zedrouter still lists ${a.podName} ${a.podIfName} (${a.hostIfName})`);
    }
    leaseFiles.push(...(await node.inspect("Inspect.Config")).dnsmasq.map((d) => d.leaseFile));
  } else {
    for (const file of await filesUnder(node.zedrouterStateDir)) {
      if (file.endsWith(".leases")) leaseFiles.push(file);
    }
  }
  const links = await listLinks(systemRunner, node.ns.ns);
  // Host veths are named nbu<adapter>x<app>: one without a master, or on a bridge zedrouter
  // no longer serves, is a leak the bridge-port scan above cannot see.
  for (const link of links) {
    if (!isHostVethName(link.name) || (link.master && niBridges.has(link.master))) continue;
    leaks.push(
      `host veth "${link.name}" left on ${link.master ? `"${link.master}"` : "no bridge"}`,
    );
  }
  if (links.some((l) => l.name === POD_NETWORK.bridge)) {
    for (const port of await listBridgePorts(systemRunner, node.ns.ns, POD_NETWORK.bridge)) {
      leaks.push(`veth "${port.name}" still on bridge "${POD_NETWORK.bridge}"`);
    }
  }
  // A routing policy's node-side neighbour entries (eve-bridge's `neighbours`) go with DEL.
  for (const n of await listNeighbours(systemRunner, node.ns.ns)) {
    if (!n.state.includes("PERMANENT")) continue;
    if (n.dev !== null && (niBridges.has(n.dev) || n.dev === POD_NETWORK.bridge)) {
      leaks.push(`permanent neighbour ${n.ip} (${n.mac}) still on "${n.dev}"`);
    }
  }
  for (const file of leaseFiles) {
    for (const lease of await readDnsmasqLeases(file)) {
      leaks.push(`lease ${lease.ip} (${lease.mac}) still in "${file}"`);
    }
  }
  for (const client of await dhcpClientsOf(node, pods)) {
    leaks.push(`udhcpc pid ${client.pid} still runs: ${client.cmdline.join(" ")}`);
  }
  for (const file of await filesUnder(node.stateDir)) {
    const shared = options.sharedStateFile ?? SHARED_STATE_FILES;
    if (shared.test(file.slice(node.stateDir.length + 1))) continue;
    leaks.push(`state file "${file}" left: ${await Deno.readTextFile(file).catch(() => "?")}`);
  }
  for (const file of await filesUnder(node.ipamDir)) {
    const base = file.split("/").at(-1) ?? "";
    if (/^\d+\.\d+\.\d+\.\d+$|:/.test(base)) leaks.push(`host-local still holds ${base}`);
  }
  for (const file of await filesUnder(`${node.cacheDir}/results`)) {
    leaks.push(`libcni cache entry "${file}" left`);
  }
  return leaks;
}

/** Stops (by pid) any udhcpc of these pods still running, so a failing test leaks nothing. */
export async function stopStrayDhcpClients(
  node: E2eNode,
  pods: readonly E2ePod[],
): Promise<number[]> {
  const strays = await dhcpClientsOf(node, pods);
  for (const s of strays) await stopPid(s.pid, { graceMs: 1000 }).catch(() => {});
  return strays.map((s) => s.pid);
}
