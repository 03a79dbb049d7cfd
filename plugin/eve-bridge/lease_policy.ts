/**
 * What a DHCP lease may make eve-bridge apply to a pod (issue 17): the server behind a switch
 * NI is anybody on that network, so its answer is checked before zedrouter applies it, on ADD
 * and on every renewal. Syntax is checked where the lease is parsed (netns/dhcp_events.ts);
 * this is policy:
 *
 * - the address is a unicast host address (no loopback, multicast, broadcast, unspecified,
 *   reserved, link-local unless `dhcp.allowLinkLocal`), in a prefix of /8 to /32, not the
 *   network or broadcast address of its subnet, not one of the node's own addresses and not
 *   inside the cluster's pod or service ranges (those stay on eth0);
 * - the gateway and every route's next hop are unicast addresses on the lease's subnet
 *   (option 121's `0.0.0.0`, "on-link", is allowed), not the pod's own address;
 * - no route (other than a default route, which eth0's more specific routes still beat)
 *   overlaps the pod or service ranges or a node address, and at most MAX_LEASE_ROUTES routes.
 *
 * Pure: the caller says which ranges and addresses are protected.
 */
import ipaddr from "ipaddr.js";
import { isDottedQuad, parseCidr } from "../../core/mod.ts";
import type { Lease } from "../../netns/mod.ts";

/** More routes than any NI needs; a bound on what one answer can make the kernel hold. */
export const MAX_LEASE_ROUTES = 16;

export interface LeaseProtection {
  /** The cluster's pod and service ranges (CIDRs), routed via eth0. */
  readonly clusterRanges: readonly string[];
  /** The node's own addresses (bare IPs). */
  readonly nodeAddresses: readonly string[];
  readonly allowLinkLocal: boolean;
}

type V4 = ipaddr.IPv4;
type Range = [V4, number];

const REFUSED_RANGES = new Set(["unspecified", "broadcast", "multicast", "loopback", "reserved"]);

function v4(text: string): V4 | undefined {
  if (!isDottedQuad(text)) return undefined;
  return ipaddr.IPv4.parse(text);
}

function cidr(text: string): Range | undefined {
  try {
    const [addr, bits] = parseCidr(text);
    return addr.kind() === "ipv4" ? [addr as V4, bits] : undefined;
  } catch {
    return undefined;
  }
}

/** Whether two ranges share any address (one contains the other). */
function overlaps([a, aBits]: Range, [b, bBits]: Range): boolean {
  const bits = Math.min(aBits, bBits);
  return a.match(b, bits);
}

function unicastProblem(what: string, ip: V4, allowLinkLocal: boolean): string | undefined {
  const range = ip.range();
  if (REFUSED_RANGES.has(range)) return `${what} ${ip} is ${range}, not a unicast address`;
  if (range === "linkLocal" && !allowLinkLocal) {
    return `${what} ${ip} is link-local (set dhcp.allowLinkLocal to accept it)`;
  }
  return undefined;
}

function addressProblems(lease: Lease, p: LeaseProtection): string[] {
  const parsed = cidr(lease.address);
  if (parsed === undefined) return [`address ${lease.address} is not an IPv4 CIDR`];
  const [ip, bits] = parsed;
  const out: string[] = [];
  const bad = unicastProblem("address", ip, p.allowLinkLocal);
  if (bad) out.push(bad);
  if (bits < 8) out.push(`address ${lease.address} has a prefix wider than /8`);
  if (bits <= 30) {
    const network = ipaddr.IPv4.networkAddressFromCIDR(lease.address).toString();
    const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(lease.address).toString();
    if (ip.toString() === network || ip.toString() === broadcast) {
      out.push(`address ${lease.address} is its subnet's network or broadcast address`);
    }
  }
  if (p.nodeAddresses.includes(ip.toString())) out.push(`address ${ip} is the node's own`);
  for (const range of p.clusterRanges) {
    const r = cidr(range);
    if (r && overlaps([ip, 32], r)) out.push(`address ${ip} lies in the cluster range ${range}`);
  }
  return out;
}

function nextHopProblem(what: string, hop: string, lease: Lease, p: LeaseProtection) {
  const ip = v4(hop);
  const subnet = cidr(lease.address);
  if (ip === undefined || subnet === undefined) return `${what} ${hop} is not an IPv4 address`;
  const bad = unicastProblem(what, ip, p.allowLinkLocal);
  if (bad) return bad;
  if (!ip.match(subnet[0], subnet[1])) return `${what} ${hop} is not on the lease's subnet`;
  if (ip.toString() === subnet[0].toString()) return `${what} ${hop} is the pod's own address`;
  return undefined;
}

function routeProblems(lease: Lease, p: LeaseProtection): string[] {
  const out: string[] = [];
  if (lease.routes.length > MAX_LEASE_ROUTES) {
    out.push(`${lease.routes.length} routes, more than ${MAX_LEASE_ROUTES}`);
  }
  const protectedRanges: [string, Range][] = [
    ...p.clusterRanges.map((r): [string, Range | undefined] => [r, cidr(r)]),
    ...p.nodeAddresses.map((a): [string, Range | undefined] => [`node ${a}`, cidr(`${a}/32`)]),
  ].filter((entry): entry is [string, Range] => entry[1] !== undefined);
  for (const route of lease.routes) {
    const dst = cidr(route.dst);
    if (dst === undefined) {
      out.push(`route ${route.dst} is not an IPv4 CIDR`);
      continue;
    }
    if (route.via !== "0.0.0.0") {
      const bad = nextHopProblem(`route ${route.dst} via`, route.via, lease, p);
      if (bad) out.push(bad);
    }
    if (dst[1] === 0) continue; // a default route: eth0's specific routes still win
    for (const [name, range] of protectedRanges) {
      if (overlaps(dst, range)) {
        out.push(`route ${route.dst} overlaps ${name}, which stays on eth0`);
      }
    }
  }
  return out;
}

/** Every reason to refuse `lease`; empty when it may be applied. */
export function leasePolicyProblems(lease: Lease, protection: LeaseProtection): string[] {
  const out = addressProblems(lease, protection);
  if (lease.gateway !== null) {
    const bad = nextHopProblem("gateway", lease.gateway, lease, protection);
    if (bad) out.push(bad);
  }
  return [...out, ...routeProblems(lease, protection)];
}
