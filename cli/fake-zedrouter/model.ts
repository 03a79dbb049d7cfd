/**
 * The resolved configuration every other part of fake-zedrouter works from: defaults
 * filled in, UUIDs, MACs and addresses decided, cross-checks passed. Built only by
 * `resolveConfig` (config.ts); trusted everywhere else.
 */
import type { FaultRule } from "../../rpc/mod.ts";
import type { Range4, Subnet4 } from "./ipv4.ts";

export const DEFAULT_MTU = 1500;

export type BridgeType = "linux" | "ovs";

interface NiCommon {
  readonly name: string;
  readonly uuid: string;
  readonly bridge: string;
  /** A Linux bridge, or an Open vSwitch bridge (through `Config.ovs`). */
  readonly bridgeType: BridgeType;
  readonly mtu: number;
}

export interface LocalNi extends NiCommon {
  readonly type: "local";
  readonly subnet: Subnet4;
  /** The bridge's address and the pods' gateway. */
  readonly gateway: string;
  /** Dynamic pool; null = reservations only. */
  readonly dhcpRange: Range4 | null;
  readonly dns: readonly string[];
  readonly defaultRoute: boolean;
  /**
   * Reserved in its dnsmasq for APPLY_PROBE_MAC (identity.ts): the address apply's DHCP
   * probe leases (apply_dhcp_probe.ts). The subnet's highest host address that is not the
   * gateway; no app adapter may have it.
   */
  readonly probeIp: string;
}

/** A switch NI's VXLAN uplink, resolved (config_schema.ts VxlanConfigSchema). */
export interface VxlanUplink {
  readonly device: string;
  readonly vni: number;
  readonly local: string;
  /** Unicast peers; empty with a group. */
  readonly remotes: readonly string[];
  readonly group: string | null;
  readonly underlay: string | null;
  readonly udpPort: number;
}

export interface SwitchNi extends NiCommon {
  readonly type: "switch";
  /** Host interface enslaved to the bridge; null = air-gapped (unless vxlan). */
  readonly port: string | null;
  /** A VXLAN uplink joining this NI's bridges on other nodes; null = this node only. */
  readonly vxlan: VxlanUplink | null;
  /** The default VLAN of its adapters; null = untagged. */
  readonly vlan: number | null;
}

export type NetworkInstance = LocalNi | SwitchNi;

export interface Adapter {
  /** Position in the app's adapter list: names the host veth (`nbu<index+1>x<appNum>`). */
  readonly index: number;
  readonly niName: string;
  readonly niUuid: string;
  readonly mac: string;
  /** Reserved address on a local NI; null on a switch NI. */
  readonly ip: string | null;
  /** The pod port's access VLAN (switch NIs only); null = untagged. */
  readonly vlan: number | null;
}

export interface App {
  readonly name: string;
  readonly uuid: string;
  readonly kubeName: string;
  readonly adapters: readonly Adapter[];
}

/** This node in a cluster (config `cluster:`); null for a node on its own. */
export interface Cluster {
  readonly node: string;
  /** The shared store of MAC claims; null = none. */
  readonly etcd: {
    readonly endpoints: readonly string[];
    readonly prefix: string;
    readonly timeoutMs: number;
  } | null;
}

/** Where Open vSwitch is reached (config `ovs:`), for NIs with `bridgeType: ovs`. */
export interface OvsSettings {
  /** ovsdb-server's unix socket. */
  readonly db: string;
  readonly datapathType: "system" | "netdev";
}

export interface Config {
  readonly cluster: Cluster | null;
  readonly ovs: OvsSettings;
  readonly networkInstances: readonly NetworkInstance[];
  readonly apps: readonly App[];
  /** Fault rules of the config file (checked by the contract's FaultRuleSchema). */
  readonly faults: readonly FaultRule[];
}

/** DHCP reaches the pod unless the NI is an air-gapped switch (EVE's `UseDHCP`). */
export function niUsesDhcp(ni: NetworkInstance): boolean {
  return ni.type === "local" || ni.port !== null || ni.vxlan !== null;
}

/** Every VLAN a switch NI's adapters use: what its uplink port trunks. Sorted, unique. */
export function niVlans(config: Pick<Config, "apps">, ni: NetworkInstance): number[] {
  const vlans = new Set<number>();
  if (ni.type === "switch" && ni.vlan !== null) vlans.add(ni.vlan);
  for (const app of config.apps) {
    for (const adapter of app.adapters) {
      if (adapter.niUuid === ni.uuid && adapter.vlan !== null) vlans.add(adapter.vlan);
    }
  }
  return [...vlans].sort((a, b) => a - b);
}
