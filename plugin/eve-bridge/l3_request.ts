/**
 * From a DHCP lease to what zedrouter applies (ConnectPodAtL3). Pure. Routes: option 121
 * (classless static routes) when the server sent it, since RFC 3442 says a client then
 * ignores the router option; otherwise a default route only when the server offered a router.
 * A `0.0.0.0` next hop means on-link (no gateway). pod_result.ts tells the runtime the same.
 */
import type { ConnectPodAtL3Args, Route } from "../../rpc/mod.ts";
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
