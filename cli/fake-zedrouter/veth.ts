/**
 * The kernel side of an attachment: the veth between an NI bridge and a pod, the L3
 * configuration of its pod end, and reading both back. Host-side links live in `host` (the
 * netns fake-zedrouter runs in, `undefined` = our own); pod ends in the pod's named netns.
 */
import {
  addAddr,
  addOvsPort,
  addRoute,
  createVethPairFromPeer,
  deleteLink,
  deleteOvsPort,
  getLink,
  getOvsPort,
  interfaceSysctlKey,
  isCommandError,
  listAddrs,
  type Netns,
  netnsExists,
  type OvsDb,
  type OvsPortVlan,
  setAccessVlan,
  setLinkUp,
  setMaster,
  setSysctl,
  setSysctls,
} from "../../netns/mod.ts";
import type { Kernel } from "./kernel.ts";
import { ZedrouterError } from "./resolve.ts";
import type { L3Record } from "./state.ts";
import ipaddr from "ipaddr.js";
import { parseCidr } from "../../core/mod.ts";

export interface VethPlan {
  readonly hostIfName: string;
  readonly bridge: string;
  readonly podNetns: Netns;
  readonly podIfName: string;
  readonly mac: string;
  readonly mtu: number;
  /** On an OVS-backed NI: the host end becomes a port of the OVS bridge, with this VLAN. */
  readonly ovs?: { readonly db: OvsDb; readonly vlan: OvsPortVlan } | null;
  /** On a Linux bridge: the host end's access VLAN (vlan_filtering is on); null = none. */
  readonly vlan?: number | null;
}

/**
 * Creates the veth (pod end born inside the pod netns with the adapter's MAC and the NI
 * MTU), enslaves the host end to the bridge, sets the pod-side sysctls EVE sets, and brings
 * both ends up. On any failure the host end is deleted, which takes the pod end with it.
 */
export async function createPodVeth(kernel: Kernel, plan: VethPlan): Promise<void> {
  const { runner, host } = kernel;
  const create = () =>
    // From inside the pod: no long-lived ip ever holds the pod's netns open (links.ts).
    createVethPairFromPeer(runner, host, {
      hostName: plan.hostIfName,
      peerName: plan.podIfName,
      peerNetns: plan.podNetns,
      peerMac: plan.mac,
      mtu: plan.mtu,
      // Up from birth, without carrier until the host end is up below, after the sysctls:
      // one command in the pod fewer (each is a fork, a netns switch and a sysfs mount).
      peerUp: true,
    });
  try {
    await create();
  } catch (error) {
    if (!isCommandError(error, "exists")) throw error;
    // Either our host end is still there (a previous pod's veth for this adapter, whose DEL
    // never came): it goes, taking the old pod end along, and we try once more. Or the
    // name is taken inside the pod, which is the caller's mistake.
    if (await getLink(runner, host, plan.hostIfName) === undefined) {
      throw podNameTaken(plan.podIfName);
    }
    await deleteLink(runner, host, plan.hostIfName);
    try {
      await create();
    } catch (retryError) {
      throw isCommandError(retryError, "exists") ? podNameTaken(plan.podIfName) : retryError;
    }
  }
  try {
    if (plan.ovs) {
      await addOvsPort(runner, plan.ovs.db, plan.bridge, plan.hostIfName, plan.ovs.vlan);
    } else {
      await setMaster(runner, host, plan.hostIfName, plan.bridge);
      if (plan.vlan) await setAccessVlan(runner, host, plan.hostIfName, plan.vlan);
    }
    await setPodSysctls(kernel, plan.podNetns, plan.podIfName);
    await setLinkUp(runner, host, plan.hostIfName);
  } catch (error) {
    await removePodVeth(kernel, plan.hostIfName, plan.ovs?.db ?? null).catch(() => {});
    throw error;
  }
}

function podNameTaken(podIfName: string): ZedrouterError {
  return new ZedrouterError(
    `Cannot create pod interface "${podIfName}": an interface with that name ` +
      `already exists in the pod network namespace`,
  );
}

/**
 * DAD would delay the pod's IPv6 link-local address; arp_notify announces the MAC when the
 * link comes up so the bridge learns it at once (EVE sets both). One sysctl for both; when it
 * fails (a pod without IPv6 has no accept_dad), one at a time, so only a real failure counts.
 */
async function setPodSysctls(kernel: Kernel, ns: Netns, ifName: string): Promise<void> {
  try {
    await setSysctls(kernel.runner, ns, [
      [interfaceSysctlKey("ipv6", ifName, "accept_dad"), 0],
      [interfaceSysctlKey("ipv4", ifName, "arp_notify"), 1],
    ]);
  } catch {
    await setSysctlIfPresent(kernel, ns, "ipv6", ifName, "accept_dad", 0);
    await setSysctlIfPresent(kernel, ns, "ipv4", ifName, "arp_notify", 1);
  }
}

async function setSysctlIfPresent(
  kernel: Kernel,
  ns: Netns,
  family: "ipv4" | "ipv6",
  ifName: string,
  leaf: string,
  value: number,
): Promise<void> {
  try {
    await setSysctl(kernel.runner, ns, interfaceSysctlKey(family, ifName, leaf), value);
  } catch (error) {
    // A pod netns with IPv6 disabled has no net.ipv6.conf.<if>: nothing to turn off.
    if (family === "ipv6" && isCommandError(error, "not-found")) return;
    throw error;
  }
}

/**
 * Deletes the host end (and with it the pod end); a missing veth is success. With OVS in use
 * its port record goes first (a deleted link would leave the record behind, reported by OVS
 * as a missing device). An OVS that does not answer does not stop the DEL: the record alone
 * carries no traffic, and the next add of that name replaces it.
 */
export async function removePodVeth(
  kernel: Kernel,
  hostIfName: string,
  ovs: OvsDb | null = null,
): Promise<void> {
  if (ovs) await deleteOvsPort(kernel.runner, ovs, hostIfName).catch(() => {});
  await deleteLink(kernel.runner, kernel.host, hostIfName);
}

/**
 * Whether `gateway` lies in the subnet of `cidr` (an address with its prefix), for either
 * family, as Go's IPNet.Contains decides it for EVE: an IPv4-mapped IPv6 gateway counts as
 * IPv4, and one of the other family is outside (so it gets its on-link route too).
 */
export function sameSubnet(cidr: string, gateway: string): boolean {
  const [network, prefix] = parseCidr(cidr);
  const address = ipaddr.process(gateway);
  if (address.kind() !== network.kind()) return false;
  // Same kind checked just above; the union types cannot say so.
  return (address as ipaddr.IPv6).match(network as ipaddr.IPv6, prefix);
}

/**
 * EVE's ConnectPodAtL3: every address on the pod interface; a link-scope host route to a
 * gateway outside the address's subnet; every route `Dst via GW dev <if>`. What is already
 * there (a retried call) is left alone.
 */
export async function applyL3(
  kernel: Kernel,
  podNetns: Netns,
  podIfName: string,
  l3: Pick<L3Record, "ips" | "routes">,
): Promise<void> {
  const { runner } = kernel;
  for (const ip of l3.ips) {
    await addAddr(runner, podNetns, podIfName, ip.address, { ignoreExists: true });
    if (ip.gateway !== null && !sameSubnet(ip.address, ip.gateway)) {
      const hostBits = ip.gateway.includes(":") ? 128 : 32;
      await addRoute(
        runner,
        podNetns,
        { dst: `${ip.gateway}/${hostBits}`, dev: podIfName, scope: "link" },
        { ignoreExists: true },
      );
    }
  }
  for (const route of l3.routes) {
    await addRoute(
      runner,
      podNetns,
      { dst: route.dst, dev: podIfName, ...(route.gw === null ? {} : { via: route.gw }) },
      { ignoreExists: true },
    );
  }
}

/** What the kernel says about one attachment (for CheckPodConnection and Inspect). */
export interface VethFacts {
  readonly hostVeth: {
    readonly present: boolean;
    readonly master: string | null;
    /** An OVS port's VLAN setting; null on a Linux bridge. */
    readonly vlan: { readonly tag: number | null; readonly trunks: number[] } | null;
    readonly adminUp: boolean;
    readonly operState: string | null;
    readonly mtu: number | null;
    /** Its ifindex and its veth peer's (in the pod's namespace); null when unknown. */
    readonly index: number | null;
    readonly peerIndex: number | null;
  };
  readonly podEnd: {
    readonly netnsPresent: boolean;
    readonly present: boolean;
    readonly mac: string | null;
    readonly adminUp: boolean;
    readonly operState: string | null;
    readonly mtu: number | null;
    readonly addresses: string[];
    readonly index: number | null;
    readonly peerIndex: number | null;
  };
}

export async function readVethFacts(
  kernel: Kernel,
  hostIfName: string,
  podNetnsPath: string,
  podNetns: Netns | null,
  podIfName: string,
  ovs: OvsDb | null = null,
): Promise<VethFacts> {
  const hostLink = await getLink(kernel.runner, kernel.host, hostIfName);
  // An OVS port's bridge is the database's: the kernel shows no master (userspace datapath)
  // or "ovs-system" (kernel datapath), never the bridge's name.
  const ovsPort = hostLink && ovs ? await getOvsPort(kernel.runner, ovs, hostIfName) : undefined;
  const netnsPresent = podNetns !== null && await netnsExists(podNetnsPath);
  const podLink = netnsPresent ? await getLink(kernel.runner, podNetns, podIfName) : undefined;
  const addresses = podLink ? await podAddresses(kernel, podNetns!, podIfName) : [];
  return {
    hostVeth: {
      present: hostLink !== undefined,
      master: ovs ? (ovsPort?.bridge ?? null) : (hostLink?.master ?? null),
      vlan: ovsPort ? { tag: ovsPort.tag, trunks: [...ovsPort.trunks] } : null,
      adminUp: hostLink?.adminUp ?? false,
      operState: hostLink?.operState ?? null,
      mtu: hostLink?.mtu ?? null,
      index: hostLink?.index ?? null,
      peerIndex: hostLink?.peerIndex ?? null,
    },
    podEnd: {
      netnsPresent,
      present: podLink !== undefined,
      mac: podLink?.mac ?? null,
      adminUp: podLink?.adminUp ?? false,
      operState: podLink?.operState ?? null,
      mtu: podLink?.mtu ?? null,
      addresses,
      index: podLink?.index ?? null,
      peerIndex: podLink?.peerIndex ?? null,
    },
  };
}

/**
 * The pod end's addresses (link-local ones left out). Read without the app's lock (Inspect
 * reads every app's): the interface may be gone by now, which is no address at all.
 */
async function podAddresses(kernel: Kernel, podNetns: Netns, podIfName: string): Promise<string[]> {
  try {
    const addresses = await listAddrs(kernel.runner, podNetns, podIfName);
    return addresses.filter((a) => a.scope !== "link").map((a) => a.cidr);
  } catch (error) {
    if (isCommandError(error, "not-found")) return [];
    throw error;
  }
}

/** Why an attachment is not fully configured, one phrase per problem (empty = fine). */
export function vethProblems(
  facts: VethFacts,
  expected: {
    hostIfName: string;
    bridge: string;
    podIfName: string;
    mac: string;
    mtu: number;
    addresses: readonly string[];
    /** The adapter's VLAN, checked where the port's VLAN can be read (OVS ports). */
    vlan?: number | null;
  },
): string[] {
  const problems: string[] = [];
  const { hostVeth: h, podEnd: p } = facts;
  if (!h.present) problems.push(`host veth "${expected.hostIfName}" is missing`);
  else {
    if (h.master !== expected.bridge) {
      problems.push(
        `host veth "${expected.hostIfName}" is not a port of bridge "${expected.bridge}"`,
      );
    }
    if (!h.adminUp) problems.push(`host veth "${expected.hostIfName}" is down`);
    if (h.vlan && expected.vlan !== undefined && h.vlan.tag !== expected.vlan) {
      problems.push(
        `host veth "${expected.hostIfName}" is on VLAN ${h.vlan.tag ?? "none"}, expected ` +
          `${expected.vlan ?? "none"}`,
      );
    }
    if (h.mtu !== expected.mtu) {
      problems.push(
        `host veth "${expected.hostIfName}" has MTU ${h.mtu}, expected ${expected.mtu}`,
      );
    }
  }
  if (!p.netnsPresent) problems.push("the pod network namespace is gone");
  else if (!p.present) problems.push(`pod interface "${expected.podIfName}" is missing`);
  else {
    if (p.mac !== expected.mac) {
      problems.push(`pod interface MAC is ${p.mac ?? "none"}, expected ${expected.mac}`);
    }
    if (!p.adminUp) problems.push(`pod interface "${expected.podIfName}" is down`);
    // The pod end's MTU is not checked: a plugin chained after eve-bridge (tuning) may set it.
    for (const address of expected.addresses) {
      if (!p.addresses.includes(address)) problems.push(`address ${address} is missing`);
    }
  }
  // Both ends by name can exist and still not be one veth (one was recreated, say): each
  // must name the other's ifindex as its peer.
  if (h.present && p.present && (h.peerIndex !== p.index || p.peerIndex !== h.index)) {
    problems.push(
      `host veth "${expected.hostIfName}" and pod interface "${expected.podIfName}" ` +
        "are not the two ends of one veth",
    );
  }
  return problems;
}
