/**
 * Network instances in the kernel: a Linux bridge or an Open vSwitch bridge each
 * (idempotent), the gateway address on a local NI's bridge, a switch NI's port enslaved (or
 * added as an OVS port). Bridges stay when fake-zedrouter stops: pods keep their veths
 * across a restart, as with EVE.
 */
import {
  addAddr,
  addOvsPort,
  addTrunkVlans,
  deleteLink,
  deleteOvsBridge,
  enableVlanFiltering,
  ensureBridge,
  ensureOvsBridge,
  getLink,
  listBridgePorts,
  listOvsPorts,
  type OvsDb,
  setLinkUp,
  setMac,
  setMaster,
} from "../../netns/mod.ts";
import { deriveMac } from "./identity.ts";
import {
  type Cluster,
  type Config,
  type NetworkInstance,
  niVlans,
  type OvsSettings,
} from "./model.ts";
import type { Kernel } from "./kernel.ts";
import { ZedrouterError } from "./resolve.ts";
import { ensureVxlanUplink, removeVxlanUplink } from "./vxlan_uplink.ts";

/** The OVS database to use when the config has OVS-backed NIs; null when it has none. */
export function ovsDbOf(config: Pick<Config, "ovs" | "networkInstances">): OvsDb | null {
  const any = config.networkInstances.some((ni) => ni.bridgeType === "ovs");
  return any ? { socket: config.ovs.db } : null;
}

/** The OVS database of an OVS-backed NI, or null for a Linux bridge. */
export function niOvsDb(ni: NetworkInstance, ovs: OvsSettings): OvsDb | null {
  return ni.bridgeType === "ovs" ? { socket: ovs.db } : null;
}

export async function ensureNetworkInstance(
  kernel: Kernel,
  ni: NetworkInstance,
  config: Pick<Config, "cluster" | "ovs" | "apps">,
): Promise<void> {
  const { runner, host } = kernel;
  const db = niOvsDb(ni, config.ovs);
  await ensureBridgeOf(kernel, ni, config, db);
  if (ni.type === "local") {
    const cidr = `${ni.gateway}/${ni.subnet.prefix}`;
    await addAddr(runner, host, ni.bridge, cidr, { ignoreExists: true });
    return;
  }
  const vlans = niVlans(config, ni);
  // Before any port joins: a port's VLAN entries exist only on a filtering bridge.
  if (vlans.length > 0 && !db) await requireVlanFiltering(kernel, ni, vlans);
  if (ni.vxlan !== null) return await ensureVxlanUplink(kernel, { ...ni, vxlan: ni.vxlan });
  if (ni.port === null) return;
  const port = await getLink(runner, host, ni.port);
  if (!port) {
    throw new Error(
      `Cannot attach port "${ni.port}" to network instance "${ni.name}": no such interface; ` +
        "create it first or remove the port from the config",
    );
  }
  // The uplink is a trunk of every VLAN the NI's adapters use (OVS: trunks=[] is all VLANs,
  // so it is set only when there are VLANs; untagged frames pass as before).
  if (db) await addOvsPort(runner, db, ni.bridge, ni.port, { tag: null, trunks: vlans });
  else {
    if (port.master !== ni.bridge) await setMaster(runner, host, ni.port, ni.bridge);
    await addTrunkVlans(runner, host, ni.port, vlans);
  }
  await setLinkUp(runner, host, ni.port);
}

/** The NI's bridge, Linux or OVS, up, with its fixed MAC and the NI's MTU. */
async function ensureBridgeOf(
  kernel: Kernel,
  ni: NetworkInstance,
  config: Pick<Config, "cluster" | "ovs">,
  db: OvsDb | null,
): Promise<void> {
  const { runner, host } = kernel;
  // A bridge without a set MAC takes the lowest MAC of its ports, so it would change as
  // pods come and go and leave stale gateway ARP entries in the pods. A fixed one does not.
  const mac = bridgeMac(ni, config.cluster);
  if (db) {
    // ovs-vsctl returns once ovs-vswitchd has made the bridge's own interface.
    await ensureOvsBridge(runner, db, ni.bridge, {
      datapathType: config.ovs.datapathType,
      mac,
      mtu: ni.mtu,
    });
    await setLinkUp(runner, host, ni.bridge);
  } else {
    const bridge = await ensureBridge(runner, host, ni.bridge, { mtu: ni.mtu });
    if (bridge.mac !== mac) await setMac(runner, host, ni.bridge, mac);
  }
}

/** vlan_filtering on a Linux bridge, or why this kernel cannot, with what to do instead. */
async function requireVlanFiltering(
  kernel: Kernel,
  ni: NetworkInstance,
  vlans: readonly number[],
): Promise<void> {
  try {
    await enableVlanFiltering(kernel.runner, kernel.host, ni.bridge);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot put VLAN(s) ${vlans.join(", ")} on network instance "${ni.name}": bridge ` +
        `"${ni.bridge}" refused vlan_filtering (${why}); this kernel's bridges may lack VLAN ` +
        "filtering (CONFIG_BRIDGE_VLAN_FILTERING): use bridgeType: ovs for VLANs",
    );
  }
}

/**
 * The NI bridge's own MAC: locally administered, stable per NI UUID. A bridge of an NI that
 * spans nodes shares its segment with the other nodes' bridges of that NI, so there the node
 * name goes into the MAC too: one MAC on two nodes would be taken for a loop by each bridge.
 */
export function bridgeMac(ni: NetworkInstance, cluster: Cluster | null): string {
  const spans = ni.type === "switch" && ni.vxlan !== null && cluster !== null;
  const seed = spans ? `bridge|${cluster.node}` : "bridge";
  return deriveMac({ appUuid: seed, niUuid: ni.uuid, adapterIndex: 0, switchNi: false });
}

/** For a reload that dropped the NI: the bridge goes (its veths lose their master). */
export async function removeNetworkInstance(
  kernel: Kernel,
  ni: NetworkInstance,
  ovs: OvsSettings,
): Promise<void> {
  if (ni.type === "switch" && ni.vxlan !== null) await removeVxlanUplink(kernel, ni.vxlan);
  const db = niOvsDb(ni, ovs);
  if (db) await deleteOvsBridge(kernel.runner, db, ni.bridge);
  else await deleteLink(kernel.runner, kernel.host, ni.bridge);
}

/**
 * Kernel facts of an NI's bridge for Inspect.NetworkInstances. An OVS bridge's own
 * interface is a link like a Linux bridge (present, up, MAC); its ports are the
 * database's, since the kernel does not list them as a bridge's.
 */
export async function bridgeFacts(kernel: Kernel, ni: NetworkInstance, ovs: OvsSettings): Promise<{
  present: boolean;
  mac: string | null;
  up: boolean;
  ports: string[];
}> {
  const link = await getLink(kernel.runner, kernel.host, ni.bridge);
  if (!link) return { present: false, mac: null, up: false, ports: [] };
  const db = niOvsDb(ni, ovs);
  const ports = db
    ? await listOvsPorts(kernel.runner, db, ni.bridge).catch(() => [])
    : (await listBridgePorts(kernel.runner, kernel.host, ni.bridge)).map((p) => p.name);
  return { present: true, mac: link.mac, up: link.adminUp, ports };
}

/**
 * Refuses an attachment to an NI whose bridge is missing or down, before any veth is made:
 * the pod would get an interface that carries nothing (bridge-marker's rule: place pods only
 * where their bridge is). fake-zedrouter makes the bridges on start and reload, so a missing
 * one was deleted behind its back.
 */
export async function requireBridgeAvailable(kernel: Kernel, ni: NetworkInstance): Promise<void> {
  const link = await getLink(kernel.runner, kernel.host, ni.bridge);
  const what = `network instance "${ni.name}" is not available on this node: its bridge ` +
    `"${ni.bridge}" (bridge.network.kubevirt.io/${ni.bridge})`;
  if (!link) {
    throw new ZedrouterError(
      `${what} does not exist; reload fake-zedrouter (SIGHUP) to create it again`,
    );
  }
  if (!link.adminUp) {
    throw new ZedrouterError(`${what} is down; bring it up (ip link set ${ni.bridge} up)`);
  }
}
