/**
 * The little IPv4 arithmetic a local network instance needs: subnets, ranges and host
 * addresses as 32-bit numbers. Local NIs are IPv4 only (one dnsmasq per NI serves DHCPv4).
 */
import ipaddr from "ipaddr.js";
import { isDottedQuad } from "../../core/mod.ts";

export interface Subnet4 {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
}

export function ipToInt(ip: string): number {
  const bytes = ipaddr.IPv4.parse(ip).toByteArray();
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function isIpv4(text: string): boolean {
  return isDottedQuad(text);
}

/** `10.11.12.0/24` (host bits must be zero: a subnet, not an address). */
export function parseSubnet(cidr: string): Subnet4 | string {
  const [addr, prefix] = cidr.split("/");
  if (addr === undefined || prefix === undefined || !isIpv4(addr) || !/^\d+$/.test(prefix)) {
    return `Expected an IPv4 subnet such as "10.11.12.0/24", got "${cidr}"`;
  }
  const bits = Number(prefix);
  if (bits < 8 || bits > 30) return `A subnet prefix must be between /8 and /30, got "/${bits}"`;
  const network = ipToInt(addr);
  if ((network & hostMask(bits)) !== 0) {
    const fixed = intToIp((network & ~hostMask(bits)) >>> 0);
    return `"${cidr}" has host bits set; use "${fixed}/${bits}"`;
  }
  return { network, prefix: bits };
}

function hostMask(prefix: number): number {
  return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function netmask(subnet: Subnet4): string {
  return intToIp((~hostMask(subnet.prefix)) >>> 0);
}

export function broadcast(subnet: Subnet4): number {
  return (subnet.network | hostMask(subnet.prefix)) >>> 0;
}

export function subnetText(subnet: Subnet4): string {
  return `${intToIp(subnet.network)}/${subnet.prefix}`;
}

/** True when `ip` is a usable host address of the subnet (not network or broadcast). */
export function isHostOf(subnet: Subnet4, ip: number): boolean {
  return ip > subnet.network && ip < broadcast(subnet) &&
    ((ip & ~hostMask(subnet.prefix)) >>> 0) === subnet.network;
}

/** True when the two subnets share an address (one then contains the other). */
export function subnetsOverlap(a: Subnet4, b: Subnet4): boolean {
  return a.network <= broadcast(b) && b.network <= broadcast(a);
}

export interface Range4 {
  readonly start: number;
  readonly end: number;
}

/** `10.11.12.100-10.11.12.200`. */
export function parseRange(text: string): Range4 | string {
  const [a, b, extra] = text.split("-").map((s) => s.trim());
  if (a === undefined || b === undefined || extra !== undefined || !isIpv4(a) || !isIpv4(b)) {
    return `Expected a range such as "10.11.12.100-10.11.12.200", got "${text}"`;
  }
  const start = ipToInt(a);
  const end = ipToInt(b);
  if (start > end) return `The range "${text}" starts after it ends; swap the two addresses`;
  return { start, end };
}

export function rangeText(range: Range4): string {
  return `${intToIp(range.start)}-${intToIp(range.end)}`;
}
