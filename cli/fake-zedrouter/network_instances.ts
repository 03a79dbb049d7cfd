/**
 * Network instances in the kernel: a Linux bridge each (idempotent), the gateway address on
 * a local NI's bridge, a switch NI's port enslaved. Bridges stay when fake-zedrouter stops:
 * pods keep their veths across a restart, as with EVE.
 */
import {
  addAddr,
  deleteLink,
  ensureBridge,
  getLink,
  listAddrs,
  setLinkUp,
  setMac,
  setMaster,
} from "../../netns/mod.ts";
import { deriveMac } from "./identity.ts";
import type { Cluster, NetworkInstance } from "./model.ts";
import type { Kernel } from "./kernel.ts";
import { ZedrouterError } from "./resolve.ts";
import { ensureVxlanUplink, removeVxlanUplink } from "./vxlan_uplink.ts";

export async function ensureNetworkInstance(
  kernel: Kernel,
  ni: NetworkInstance,
  cluster: Cluster | null,
): Promise<void> {
  const { runner, host } = kernel;
  const bridge = await ensureBridge(runner, host, ni.bridge, { mtu: ni.mtu });
  // A bridge without a set MAC takes the lowest MAC of its ports, so it would change as
  // pods come and go and leave stale gateway ARP entries in the pods. A fixed one does not.
  const mac = bridgeMac(ni, cluster);
  if (bridge.mac !== mac) await setMac(runner, host, ni.bridge, mac);
  if (ni.type === "local") {
    const cidr = `${ni.gateway}/${ni.subnet.prefix}`;
    await addAddr(runner, host, ni.bridge, cidr, { ignoreExists: true });
    return;
  }
  if (ni.vxlan !== null) return await ensureVxlanUplink(kernel, { ...ni, vxlan: ni.vxlan });
  if (ni.port === null) return;
  const port = await getLink(runner, host, ni.port);
  if (!port) {
    throw new Error(
      `Cannot attach port "${ni.port}" to network instance "${ni.name}": no such interface; ` +
        "create it first or remove the port from the config",
    );
  }
  if (port.master !== ni.bridge) await setMaster(runner, host, ni.port, ni.bridge);
  await setLinkUp(runner, host, ni.port);
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
export async function removeNetworkInstance(kernel: Kernel, ni: NetworkInstance): Promise<void> {
  if (ni.type === "switch" && ni.vxlan !== null) await removeVxlanUplink(kernel, ni.vxlan);
  await deleteLink(kernel.runner, kernel.host, ni.bridge);
}

/** Kernel facts of an NI's bridge for Inspect.NetworkInstances. */
export async function bridgeFacts(kernel: Kernel, ni: NetworkInstance): Promise<{
  present: boolean;
  mac: string | null;
  up: boolean;
  addresses: string[];
}> {
  const link = await getLink(kernel.runner, kernel.host, ni.bridge);
  if (!link) return { present: false, mac: null, up: false, addresses: [] };
  const addresses = (await listAddrs(kernel.runner, kernel.host, ni.bridge))
    .filter((a) => a.scope !== "link").map((a) => a.cidr);
  return { present: true, mac: link.mac, up: link.adminUp, addresses };
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
