/**
 * What ADD tells the runtime (the CNI result) for an attachment: zedrouter's interfaces
 * (bridge, host veth, pod end) with `sandbox` on the pod end and `ips[].interface` pointing at
 * it, so Multus can build its status, plus the lease's address, routes and DNS. Pure.
 */
import type { ConnectPodAtL2Result } from "../../rpc/mod.ts";
import type { CniInterface, CniResult, CniRoute } from "../cni/mod.ts";
import type { LeaseRecord } from "../../core/eve/mod.ts";
import { leaseRoutes } from "./l3_request.ts";

/** zedrouter's interface list as CNI interfaces; the pod end gets `sandbox`. */
export function resultInterfaces(
  l2: Pick<ConnectPodAtL2Result, "interfaces">,
  ifname: string,
  netns: string,
): { interfaces: CniInterface[]; podIndex: number } {
  const listed = l2.interfaces ?? [];
  const interfaces: CniInterface[] = listed.map((i) => ({
    name: i.name,
    ...(i.mac !== null && { mac: i.mac }),
    ...(i.name === ifname && { sandbox: netns }),
  }));
  let podIndex = interfaces.findIndex((i) => i.sandbox !== undefined);
  if (podIndex < 0) {
    // A zedrouter that did not echo the pod end back: the result still needs it for Multus.
    interfaces.push({ name: ifname, sandbox: netns });
    podIndex = interfaces.length - 1;
  }
  return { interfaces, podIndex };
}

/** The result of this plugin alone. */
export function podResult(
  l2: Pick<ConnectPodAtL2Result, "interfaces">,
  ifname: string,
  netns: string,
  lease: LeaseRecord | null,
): CniResult {
  const { interfaces, podIndex } = resultInterfaces(l2, ifname, netns);
  if (lease === null) return { interfaces, ips: [], routes: [], dns: {} };
  const routes: CniRoute[] = leaseRoutes(lease).map((r) => ({
    dst: r.dst ?? "0.0.0.0/0",
    ...(r.gw !== null && { gw: r.gw }),
  }));
  return {
    interfaces,
    ips: [{
      address: lease.address,
      ...(lease.gateway !== null && { gateway: lease.gateway }),
      interface: podIndex,
    }],
    routes,
    dns: {
      ...(lease.dns.length > 0 && { nameservers: [...lease.dns] }),
      ...(lease.domain !== null && { domain: lease.domain }),
    },
  };
}

/**
 * Our result appended to an earlier plugin's: its entries stay first and keep their indices,
 * ours are shifted; DNS from the earlier plugin wins unless it named no server.
 */
export function mergeResults(prev: CniResult | undefined, ours: CniResult): CniResult {
  if (prev === undefined) return ours;
  const offset = prev.interfaces.length;
  return {
    interfaces: [...prev.interfaces, ...ours.interfaces],
    ips: [
      ...prev.ips,
      ...ours.ips.map((ip) =>
        ip.interface === undefined ? ip : { ...ip, interface: ip.interface + offset }
      ),
    ],
    routes: [...prev.routes, ...ours.routes],
    dns: (prev.dns.nameservers?.length ?? 0) > 0 ? prev.dns : { ...prev.dns, ...ours.dns },
  };
}
