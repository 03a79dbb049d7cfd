/**
 * Apply's DHCP probe of a local NI: does its dnsmasq answer a DHCP request on the bridge?
 * A probe port (a veth whose node end joins the NI's bridge, as a Linux bridge port or an
 * OVS port, and whose other end, with APPLY_PROBE_MAC, sits in a short-lived namespace of
 * its own) asks once with a one-shot udhcpc, bounded by the probe's time. dnsmasq reserves
 * the NI's probeIp for that MAC (dnsmasq_config.ts), so even a dnsmasq that serves
 * reservations only must answer. The lease is released again, and the port and namespace
 * go in `finally` (and, left by a killed run, before the next probe makes them again).
 */
import {
  acquireLease,
  addAddr,
  addOvsPort,
  createNetns,
  createVethPair,
  deleteLink,
  deleteNetns,
  deleteOvsPort,
  disableTxChecksumOffload,
  getLink,
  type Lease,
  NETNS_RUN_DIR,
  ownNetnsPath,
  releaseLease,
  setLinkUp,
  setMaster,
  setPermanentNeighbour,
  systemRunner,
  writeUdhcpcHookScript,
} from "../../netns/mod.ts";
import { errorMessage } from "../../core/mod.ts";
import { APPLY_PROBE_MAC } from "./identity.ts";
import { leaseGoneWithin } from "./lease_drop.ts";
import type { Kernel } from "./kernel.ts";
import type { LocalNi, OvsSettings } from "./model.ts";
import { niOvsDb } from "./network_instances.ts";

/** The probe port's node end (one probe at a time: applies are serial, NIs probed in turn). */
export const PROBE_PORT = "fzr-dhcp-probe";
const PROBE_IFNAME = "eth0";

export interface DhcpProbeContext {
  readonly kernel: Kernel;
  readonly ovs: OvsSettings;
  /** Where the probe's udhcpc hook script is written (the daemon's state dir). */
  readonly stateDir: string;
  readonly log: (message: string) => void;
}

/**
 * The probe's namespace: named after the daemon's own (a sandbox node's `evetest-…-node`
 * gets `evetest-…-node-dhcp-probe`, swept with the sandbox), else after the daemon's pid.
 */
export async function probeNetnsName(): Promise<string> {
  const own = await ownNetnsPath().catch(() => undefined);
  const named = own?.startsWith(`${NETNS_RUN_DIR}/`) ? own.slice(NETNS_RUN_DIR.length + 1) : null;
  const name = named ? `${named}-dhcp-probe` : `fake-zedrouter-dhcp-probe-${Deno.pid}`;
  return name.length <= 63 ? name : `fake-zedrouter-dhcp-probe-${Deno.pid}`;
}

/**
 * Null when `ni`'s dnsmasq leased the probe its reservation within `seconds`, else why not.
 * `leaseFile` is that dnsmasq's: the release counts as through once the lease left it.
 */
export async function probeDhcp(
  ctx: DhcpProbeContext,
  ni: LocalNi,
  seconds: number,
  leaseFile: string,
): Promise<string | null> {
  const ns = await probeNetnsName();
  await removeProbePort(ctx, ni, ns);
  try {
    const lease = await leaseOnProbePort(ctx, ni, ns, seconds).catch((error) => {
      ctx.log(`DHCP probe on ${ni.bridge}: ${errorMessage(error)}`);
      return null;
    });
    if (lease === null) {
      return `dnsmasq on "${ni.bridge}" answered no DHCP request within ${seconds} s`;
    }
    const address = lease.address.split("/")[0];
    if (address !== ni.probeIp) {
      return `dnsmasq on "${ni.bridge}" leased the probe ${address}, not its reservation ` +
        `${ni.probeIp}`;
    }
    await releaseProbeLease(ctx, ni, ns, lease, leaseFile);
    return null;
  } finally {
    await removeProbePort(ctx, ni, ns).catch((error) =>
      ctx.log(`DHCP probe on ${ni.bridge}: cannot remove its port: ${errorMessage(error)}`)
    );
  }
}

/** Makes the probe port on the NI's bridge and asks for a lease on it once. */
async function leaseOnProbePort(
  ctx: DhcpProbeContext,
  ni: LocalNi,
  ns: string,
  seconds: number,
): Promise<Lease> {
  const runner = systemRunner;
  const { host } = ctx.kernel;
  await createNetns(runner, ns);
  await createVethPair(runner, host, {
    hostName: PROBE_PORT,
    peerName: PROBE_IFNAME,
    peerNetns: { name: ns },
    peerMac: APPLY_PROBE_MAC,
    mtu: ni.mtu,
  });
  const db = niOvsDb(ni, ctx.ovs);
  if (db) {
    await addOvsPort(runner, db, ni.bridge, PROBE_PORT);
    // The release goes out from a UDP socket (udhcpc's DHCP itself from a raw one, its
    // checksums done): through the userspace datapath it must leave checksummed.
    await disableTxChecksumOffload(runner, { name: ns }, PROBE_IFNAME).catch((error) =>
      ctx.log(`DHCP probe on ${ni.bridge}: ${errorMessage(error)} (its release may be lost)`)
    );
  } else await setMaster(runner, host, PROBE_PORT, ni.bridge);
  await setLinkUp(runner, host, PROBE_PORT);
  await setLinkUp(runner, { name: ns }, PROBE_IFNAME);
  // -t retries, one second apart (-T 1): the whole probe stays within `seconds` (+ ACK).
  return await acquireLease(runner, {
    ...(await probeClient(ctx, ns)),
    timeoutSeconds: 1,
    retries: seconds,
  });
}

async function probeClient(ctx: DhcpProbeContext, ns: string) {
  const scriptPath = `${ctx.stateDir}/apply-probe-udhcpc-hook.sh`;
  // The report-only hook: udhcpc prints what it got and configures nothing.
  await writeUdhcpcHookScript(scriptPath);
  return { netnsPath: `${NETNS_RUN_DIR}/${ns}`, ifname: PROBE_IFNAME, scriptPath };
}

/**
 * DHCPRELEASE is unicast from the leased address to the server, so the probe's end carries
 * the address and knows the bridge's MAC first: a packet that waits for ARP was seen lost
 * through OVS's userspace datapath (the first UDP packet to a new neighbour never arrived).
 * The port stays until dnsmasq dropped the lease. A release that does not get through is
 * only logged: the reservation is the probe's alone, the next probe takes the same lease.
 */
async function releaseProbeLease(
  ctx: DhcpProbeContext,
  ni: LocalNi,
  ns: string,
  lease: Lease,
  leaseFile: string,
): Promise<void> {
  try {
    await addAddr(systemRunner, { name: ns }, PROBE_IFNAME, lease.address);
    const bridge = await getLink(systemRunner, ctx.kernel.host, ni.bridge);
    if (bridge?.mac) {
      const ip = lease.serverId ?? ni.gateway;
      await setPermanentNeighbour(systemRunner, { name: ns }, {
        ip,
        dev: PROBE_IFNAME,
        mac: bridge.mac,
      });
    }
    const sent = await releaseLease({
      ...(await probeClient(ctx, ns)),
      address: lease.address,
      timeoutMs: 3000,
    });
    if (!sent || !(await leaseGoneWithin(leaseFile, APPLY_PROBE_MAC, RELEASE_WAIT_MS))) {
      ctx.log(`DHCP probe on ${ni.bridge}: dnsmasq still holds the probe's lease`);
    }
  } catch (error) {
    ctx.log(`DHCP probe on ${ni.bridge}: cannot release ${lease.address}: ${errorMessage(error)}`);
  }
}

const RELEASE_WAIT_MS = 2000;

/** The port (and its OVS record) and the namespace; whatever is missing is success. */
async function removeProbePort(ctx: DhcpProbeContext, ni: LocalNi, ns: string): Promise<void> {
  const db = niOvsDb(ni, ctx.ovs);
  if (db) await deleteOvsPort(systemRunner, db, PROBE_PORT);
  await deleteLink(systemRunner, ctx.kernel.host, PROBE_PORT);
  await deleteNetns(systemRunner, ns);
}
