/**
 * Everything eve-cni-debug looked at, in one JSON-able value: zedrouter's view (from its
 * Inspect service, or its state file), dnsmasq's files, eve-bridge's state files, and what
 * the kernel shows in the host and pod namespaces. The chain checks and the doctor are pure
 * functions of a Snapshot, so they can be tested (and their output snapshotted) from fixtures.
 */
import * as v from "valibot";
import type { AddressInfo, DnsmasqLease, Link, RouteInfo } from "../../netns/mod.ts";
import type { EveBridgeRecord } from "./eve_bridge_state.ts";
import type { RoutingEntry } from "./routing_facts.ts";

export interface NiFact {
  name: string;
  uuid: string;
  type: "local" | "switch";
  bridge: string;
  /** An OVS bridge's interface is a tap (userspace datapath) or internal port, not a bridge. */
  bridgeType?: "linux" | "ovs";
  usesDhcp: boolean;
  /** A switch NI's uplink enslaved to the bridge (never an orphan); null otherwise. */
  port?: string | null;
  /**
   * An OVS-backed NI's ports as OVS's database lists them (Inspect.NetworkInstances): the
   * kernel shows no master for them (userspace datapath) or `ovs-system` (kernel datapath).
   * Absent for a Linux bridge and when zedrouter's view came from its state file.
   */
  ovsPorts?: string[];
}

export interface AdapterFact {
  index: number;
  niUuid: string;
  mac: string;
  ip: string | null;
}

export interface AppFact {
  name: string;
  uuid: string;
  kubeName: string;
  boundPod: string | null;
  adapters: AdapterFact[];
}

export interface L3Fact {
  ips: { address: string; gateway: string | null }[];
  routes: { dst: string; gw: string | null }[];
}

/** One pod interface zedrouter believes it connected. */
export interface AttachmentFact {
  appUuid: string;
  appName: string | null;
  adapterIndex: number;
  niUuid: string;
  bridge: string;
  podName: string;
  podNetnsPath: string;
  podIfName: string;
  hostIfName: string;
  mac: string;
  mtu: number;
  usesDhcp: boolean;
  l3: L3Fact | null;
  /** What zedrouter itself says is wrong (Inspect.Attachments only). */
  zedrouterProblems: string[];
  /**
   * On an OVS-backed NI: the host veth's port as OVS's database has it (the kernel shows no
   * master for it), from Inspect.Attachments; absent on a Linux bridge.
   */
  ovsPort?: { bridge: string | null; tag: number | null; trunks: number[] };
}

export interface DhcpHostFact {
  mac: string;
  ip: string;
  hostname: string | null;
}

export interface DnsmasqFact {
  /** NI name (fake-zedrouter names its files dnsmasq-<ni>.*). */
  ni: string;
  /** The bridge it serves (`interface=` in its conf), when the conf could be read. */
  bridge: string | null;
  confPath: string;
  leaseFile: string;
  pid: number | null;
  running: boolean;
  reservations: DhcpHostFact[];
  leases: DnsmasqLease[];
}

export interface PodNetnsFact {
  exists: boolean;
  /** nsfs inode, to compare with a DHCP client's /proc/PID/ns/net. */
  inode: number | null;
  links: Link[];
  addresses: AddressInfo[];
  routes: RouteInfo[];
  /** Why the namespace could not be read, if it exists but listing failed. */
  error: string | null;
}

export interface ProcessFact {
  alive: boolean;
  /** argv[0] base name from /proc/PID/cmdline, e.g. "udhcpc". */
  command: string | null;
  netnsInode: number | null;
}

export const ZEDROUTER_SOURCES = ["inspect", "state-file", "none"] as const;
export type ZedrouterSource = (typeof ZEDROUTER_SOURCES)[number];

/** Where zedrouter's facts came from: part of every --json that rests on them. */
export const ZedrouterSectionSchema = v.strictObject({
  reachable: v.boolean(),
  source: v.picklist(ZEDROUTER_SOURCES),
  /** Why the Inspect service was not used, or why nothing could be read. */
  note: v.nullable(v.string()),
});
export type ZedrouterSection = v.InferOutput<typeof ZedrouterSectionSchema>;

export interface RemoteMacFact {
  /** The VXLAN device and the bridge it is a port of. */
  device: string;
  bridge: string | null;
  mac: string;
  vtep: string;
}

export interface MacClaimsFact {
  /** This node's name in the store. */
  node: string;
  store: string;
  claims: { mac: string; node: string; appUuid: string; adapterIndex: number }[];
  /** Why the store could not be read; claims are then empty. */
  error: string | null;
}

export interface Snapshot {
  collectedAt: string;
  socket: string;
  zedrouter: ZedrouterSection;
  networkInstances: NiFact[];
  apps: AppFact[];
  attachments: AttachmentFact[];
  dnsmasq: DnsmasqFact[];
  eveBridge: {
    stateDir: string;
    records: EveBridgeRecord[];
    unreadable: { path: string; error: string }[];
    /** Routing-policy records with the kernel's facts (absent in older snapshots). */
    routing?: RoutingEntry[];
  };
  hostNetns: string | null;
  hostLinks: Link[];
  /** Keyed by netns path. */
  pods: Record<string, PodNetnsFact>;
  /** Keyed by pid (as text). */
  processes: Record<string, ProcessFact>;
  /** Running udhcpc processes whose pid file is under eve-bridge's state dir. */
  dhcpClientsOnNode?: {
    pid: number;
    pidFile: string;
    netnsInode: number | null;
    /** When /proc saw it start: --fix stops only that process (absent in older snapshots). */
    startTime?: number;
  }[];
  /** MACs this node's VXLAN devices learned behind other nodes' VTEPs. */
  remoteMacs?: RemoteMacFact[];
  /** The shared store's MAC claims, when fake-zedrouter names a store; null otherwise. */
  macClaims?: MacClaimsFact | null;
}
