/**
 * Which network namespace a command runs in. A namespace is always an explicit argument:
 * `{ name }` for one under /var/run/netns, `{ path }` for any nsfs file such as
 * /proc/<pid>/ns/net, and `undefined` for the caller's own namespace.
 */
import { checkNetnsName, checkNetnsPath } from "./_validate.ts";

export type Netns = { readonly name: string } | { readonly path: string };

/** Where `ip netns add` keeps named namespaces. */
export const NETNS_RUN_DIR = "/var/run/netns";

/** The nsfs path of `ns` (validated): /var/run/netns/NAME for a name. */
export function netnsPath(ns: Netns): string {
  if ("name" in ns) return `${NETNS_RUN_DIR}/${checkNetnsName(ns.name)}`;
  return checkNetnsPath(ns.path);
}

/**
 * argv for `ip ARGS` inside `ns`. `ip -n` accepts only names under /var/run/netns, so a
 * path goes through `nsenter --net=PATH ip ...` instead.
 */
export function ipArgv(ns: Netns | undefined, args: readonly string[]): string[] {
  if (ns === undefined) return ["ip", ...args];
  if ("name" in ns) return ["ip", "-n", checkNetnsName(ns.name), ...args];
  return ["nsenter", `--net=${checkNetnsPath(ns.path)}`, "ip", ...args];
}

/**
 * argv for iproute2's `bridge ARGS` inside `ns` (`bridge -n NAME`, or nsenter for a path):
 * the forwarding database (fdb) of bridges and VXLAN devices lives there.
 */
export function bridgeArgv(ns: Netns | undefined, args: readonly string[]): string[] {
  if (ns === undefined) return ["bridge", ...args];
  if ("name" in ns) return ["bridge", "-n", checkNetnsName(ns.name), ...args];
  return ["nsenter", `--net=${checkNetnsPath(ns.path)}`, "bridge", ...args];
}

/** argv running any command inside `ns` via `nsenter --net=PATH` (unchanged for undefined). */
export function execArgv(ns: Netns | undefined, argv: readonly string[]): string[] {
  if (ns === undefined) return [...argv];
  return ["nsenter", `--net=${netnsPath(ns)}`, ...argv];
}

/** Human text for messages: `netns "pod1"` / `netns "/proc/1/ns/net"` / `the current netns`. */
export function describeNetns(ns: Netns | undefined): string {
  if (ns === undefined) return "the current netns";
  return "name" in ns ? `netns "${ns.name}"` : `netns "${ns.path}"`;
}
