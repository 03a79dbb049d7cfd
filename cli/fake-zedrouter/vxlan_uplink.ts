/**
 * A switch NI's VXLAN uplink in the kernel: the VXLAN device as a port of the NI's bridge,
 * with the NI's MTU, and its flood list (the unicast peers) as the config says. Made
 * idempotent, as the bridges are: a device whose VNI, address, group, underlay or port
 * differ from the config is made again; peers are added and removed to match.
 */
import {
  addFloodPeer,
  createVxlan,
  deleteFloodPeer,
  deleteLink,
  FLOOD_MAC,
  getLink,
  getVxlan,
  listFdb,
  listFloodPeers,
  setLinkUp,
  setMaster,
  setMtu,
  type VxlanInfo,
} from "../../netns/mod.ts";
import type { SwitchNi, VxlanUplink } from "./model.ts";
import type { Kernel } from "./kernel.ts";

function matches(info: VxlanInfo, x: VxlanUplink): boolean {
  return info.vni === x.vni && info.local === x.local && info.group === x.group &&
    info.device === x.underlay && info.port === x.udpPort;
}

export async function ensureVxlanUplink(
  kernel: Kernel,
  ni: SwitchNi & { vxlan: VxlanUplink },
): Promise<void> {
  const { runner, host } = kernel;
  const x = ni.vxlan;
  const existing = await getVxlan(runner, host, x.device);
  if (existing === undefined && await getLink(runner, host, x.device)) {
    throw new Error(
      `Cannot make VXLAN device "${x.device}" for network instance "${ni.name}": another ` +
        "kind of link has that name; rename it or set vxlan.device",
    );
  }
  if (existing && !matches(existing, x)) await deleteLink(runner, host, x.device);
  if (!existing || !matches(existing, x)) {
    await createVxlan(runner, host, {
      name: x.device,
      vni: x.vni,
      local: x.local,
      port: x.udpPort,
      group: x.group,
      device: x.underlay,
      mtu: ni.mtu,
    });
  } else if (existing.mtu !== ni.mtu) await setMtu(runner, host, x.device, ni.mtu);
  if (existing?.master !== ni.bridge || !matches(existing, x)) {
    await setMaster(runner, host, x.device, ni.bridge);
  }
  await setLinkUp(runner, host, x.device);
  await syncFloodPeers(kernel, x);
}

async function syncFloodPeers(kernel: Kernel, x: VxlanUplink): Promise<void> {
  if (x.group !== null) return; // The kernel floods to the group; the fdb holds no peers.
  const { runner, host } = kernel;
  const current = await listFloodPeers(runner, host, x.device);
  for (const peer of x.remotes) {
    if (!current.includes(peer)) await addFloodPeer(runner, host, x.device, peer);
  }
  for (const peer of current) {
    if (!x.remotes.includes(peer)) await deleteFloodPeer(runner, host, x.device, peer);
  }
}

/** The device goes with its NI: fake-zedrouter made it (unlike a switch NI's port). */
export async function removeVxlanUplink(kernel: Kernel, x: VxlanUplink): Promise<void> {
  await deleteLink(kernel.runner, kernel.host, x.device);
}

/** What the kernel shows of a VXLAN uplink, for Inspect.NetworkInstances. */
export interface VxlanFacts {
  readonly present: boolean;
  readonly up: boolean;
  readonly master: string | null;
  readonly mtu: number | null;
  /** Where flooded frames go (unicast peers, or the group), from the fdb. */
  readonly floodTo: string[];
  /** Remote MACs the device learned, each with the VTEP it lives behind. */
  readonly learned: { mac: string; vtep: string }[];
}

export async function vxlanFacts(kernel: Kernel, x: VxlanUplink): Promise<VxlanFacts> {
  const { runner, host } = kernel;
  const info = await getVxlan(runner, host, x.device);
  if (!info) {
    return { present: false, up: false, master: null, mtu: null, floodTo: [], learned: [] };
  }
  const fdb = await listFdb(runner, host, { dev: x.device });
  const remote = fdb.filter((e) => e.dst !== null);
  return {
    present: true,
    up: info.adminUp,
    master: info.master,
    mtu: info.mtu,
    floodTo: remote.filter((e) => e.mac === FLOOD_MAC).map((e) => e.dst!),
    learned: remote.filter((e) => e.mac !== FLOOD_MAC)
      .map((e) => ({ mac: e.mac, vtep: e.dst! })),
  };
}
