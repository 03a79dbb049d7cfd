/**
 * `neighbours`: permanent ARP/NDP entries both ways between a pod interface and the node's
 * end of its link, as spiderpool's setupNeighborhood does for its veths. The node's end here
 * is the bridge (a network instance's `bn<N>`, or eth0's `cni0`): it holds the node's
 * address on the pod's subnet, and the node's route to the pod goes through it, so
 *
 *   in the pod:  <bridge address> lladdr <bridge MAC> dev <pod interface> nud permanent
 *   on the node: <pod address> lladdr <pod interface MAC> dev <bridge> nud permanent
 *
 * for every bridge address whose subnet holds a pod address. A bridge without one (a switch
 * NI: the subnet's router is elsewhere) gets none. Entries of an earlier apply that no longer
 * hold (the pod's address moved) are deleted. Pure: views in, commands out.
 */
import { parseCidr, parseIp } from "../../core/mod.ts";
import type { NeighbourEntry, RoutingApplied } from "../../core/eve/mod.ts";
import {
  type AddressInfo,
  delNeighbourCommand,
  type IpCommand,
  type NeighbourInfo,
  permanentNeighbourCommand,
  type RoutingView,
} from "../../netns/mod.ts";

/** The node's end of the pod's link, as the node's namespace shows it. */
export interface HostEnd {
  name: string;
  mac: string | null;
  addresses: readonly AddressInfo[];
  neighbours: readonly NeighbourInfo[];
}

export interface NeighbourInput {
  enabled: boolean;
  ifname: string;
  /** The pod interface's MAC after this apply (macPrefix may change it). */
  podMac: string | null;
  addresses: readonly AddressInfo[];
  view: RoutingView;
  hostEnd: HostEnd | null;
  previous: RoutingApplied | null;
}

export interface NeighbourPlan {
  pod: IpCommand[];
  host: IpCommand[];
  podNeighbours: NeighbourEntry[];
  hostNeighbours: NeighbourEntry[];
  skipped: string[];
}

const ipOf = (cidr: string) => cidr.split("/")[0] ?? cidr;

function onSubnet(network: AddressInfo, address: AddressInfo): boolean {
  if (network.family !== address.family) return false;
  const [base, bits] = parseCidr(network.cidr);
  return parseIp(ipOf(address.cidr)).match(base, bits);
}

const sameEntry = (a: Pick<NeighbourEntry, "ip" | "dev">, b: Pick<NeighbourEntry, "ip" | "dev">) =>
  a.ip === b.ip && a.dev === b.dev;

/** Deletes of the earlier entries that are still there and no longer wanted. */
function staleDeletes(
  earlier: readonly NeighbourEntry[],
  wanted: readonly NeighbourEntry[],
  present: readonly NeighbourInfo[],
): IpCommand[] {
  return earlier
    .filter((e) => !wanted.some((w) => sameEntry(w, e)))
    .filter((e) => present.some((p) => p.ip === e.ip && p.dev === e.dev))
    .map((e) => delNeighbourCommand(e));
}

function wantedEntries(input: NeighbourInput, hostEnd: HostEnd, podMac: string, hostMac: string) {
  const podNeighbours: NeighbourEntry[] = [];
  const hostNeighbours: NeighbourEntry[] = [];
  for (const network of hostEnd.addresses.filter((a) => a.scope === "global")) {
    for (const address of input.addresses.filter((a) => onSubnet(network, a))) {
      const pod = { ip: ipOf(network.cidr), dev: input.ifname, mac: hostMac };
      const host = { ip: ipOf(address.cidr), dev: hostEnd.name, mac: podMac };
      if (!podNeighbours.some((e) => sameEntry(e, pod))) podNeighbours.push(pod);
      if (!hostNeighbours.some((e) => sameEntry(e, host))) hostNeighbours.push(host);
    }
  }
  return { podNeighbours, hostNeighbours };
}

export function planNeighbours(input: NeighbourInput): NeighbourPlan {
  const plan: NeighbourPlan = {
    pod: [],
    host: [],
    podNeighbours: [],
    hostNeighbours: [],
    skipped: [],
  };
  const { hostEnd, podMac, previous } = input;
  if (input.enabled && hostEnd === null && previous && previous.hostNeighbours.length > 0) {
    // A re-apply that cannot see the node's side: what is there stays, as it was recorded.
    plan.podNeighbours = [...previous.podNeighbours];
    plan.hostNeighbours = [...previous.hostNeighbours];
    plan.skipped.push("neighbours: the node's side cannot be read from here; left as they were");
    return plan;
  }
  if (input.enabled) {
    if (hostEnd === null || hostEnd.mac === null || podMac === null) {
      plan.skipped.push("neighbours: the node's end of the link is not known");
    } else {
      Object.assign(plan, wantedEntries(input, hostEnd, podMac, hostEnd.mac));
      if (plan.podNeighbours.length === 0) {
        plan.skipped.push(
          `neighbours: "${hostEnd.name}" has no address on the subnet of "${input.ifname}"`,
        );
      }
    }
  }
  plan.pod = [
    ...staleDeletes(previous?.podNeighbours ?? [], plan.podNeighbours, input.view.neighbours),
    ...plan.podNeighbours.map(permanentNeighbourCommand),
  ];
  plan.host = [
    ...staleDeletes(
      input.previous?.hostNeighbours ?? [],
      plan.hostNeighbours,
      hostEnd?.neighbours ?? [],
    ),
    ...plan.hostNeighbours.map(permanentNeighbourCommand),
  ];
  return plan;
}
