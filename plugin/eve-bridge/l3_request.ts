/**
 * From a DHCP lease to what zedrouter applies (ConnectPodAtL3) and what the runtime is told
 * (the CNI result). Pure functions, one rule each:
 * - routes: option 121 (classless static routes) when the server sent it, since RFC 3442 says
 *   a client then ignores the router option; otherwise a default route only when the server
 *   offered a router. A `0.0.0.0` next hop means on-link (no gateway).
 * - the CNI result lists zedrouter's interfaces (bridge, host veth, pod end) with `sandbox` on
 *   the pod end and `ips[].interface` pointing at it, so Multus can build its status.
 */
import type { ConnectPodAtL2Result, ConnectPodAtL3Args, Route } from "../../rpc/mod.ts";
import type { CniInterface, CniResult, CniRoute } from "../cni/mod.ts";
import type { LeaseRecord } from "../../core/eve/mod.ts";

const UNSPECIFIED = new Set(["0.0.0.0", "::"]);

/** The routes a lease asks for, as zedrouter's `{dst, gw}` (gw null = on-link). */
export function leaseRoutes(lease: LeaseRecord): Route[] {
  if (lease.routes.length > 0) {
    return lease.routes.map((r) => ({ dst: r.dst, gw: UNSPECIFIED.has(r.via) ? null : r.via }));
  }
  return lease.gateway === null ? [] : [{ dst: "0.0.0.0/0", gw: lease.gateway }];
}

/** ConnectPodAtL3's extra arguments for `lease`. */
export function l3Fields(lease: LeaseRecord): Pick<ConnectPodAtL3Args, "ips" | "routes" | "dns"> {
  return {
    ips: [{ address: lease.address, gateway: lease.gateway }],
    routes: leaseRoutes(lease),
    dns: {
      nameservers: lease.dns.length > 0 ? [...lease.dns] : null,
      domain: lease.domain ?? "",
      search: null,
      options: null,
    },
  };
}

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
