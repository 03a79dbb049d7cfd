/**
 * The node's IP as eve-bridge's `nodeIP` field carries it. EVE's kube-init writes the node's
 * default-interface IPv4 plus `/32` into the Multus config (`ip + "/32"`), and EVE's Go
 * eve-bridge uses it verbatim as a route's `dst`; a bare IP is accepted as well. Any other
 * prefix length names a network, not the node, and is refused.
 */
import * as v from "valibot";
import { isStrictIp, parseIp } from "../values.ts";

/** The host prefix length of an address family: 32 for IPv4, 128 for IPv6. */
function hostBits(ip: string): number {
  return ip.includes(":") ? 128 : 32;
}

/** True for `ip`, `ipv4/32` and `ipv6/128`. */
export function isNodeIp(text: string): boolean {
  const [ip, bits, ...rest] = text.split("/");
  if (ip === undefined || !isStrictIp(ip) || rest.length > 0) return false;
  return bits === undefined || bits === String(hostBits(ip));
}

/** `"192.168.1.10/32"` or `"192.168.1.10"` -> `"192.168.1.10"` (normalised). */
export function nodeIpAddress(text: string): string {
  return parseIp(text.split("/")[0] ?? "").toString();
}

/** The node's IP in EVE's form: the address with its host prefix (`/32`, IPv6 `/128`). */
export function nodeIpCidr(ip: string): string {
  const address = nodeIpAddress(ip);
  return `${address}/${hostBits(address)}`;
}

/** `nodeIP`: checked, then the bare normalised address (nodeIpCidr gives EVE's form back). */
export const NodeIpSchema = v.pipe(
  v.string(),
  v.check(
    isNodeIp,
    (issue) =>
      `Expected the node's IP, as EVE writes it with a host prefix ("192.168.1.10/32", IPv6 ` +
      `"/128") or bare ("192.168.1.10"); got ${JSON.stringify(issue.input)}`,
  ),
  v.transform(nodeIpAddress),
);
