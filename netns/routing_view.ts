/**
 * A namespace's routing state in one read: its links (with MACs) and addresses, the routes of
 * every table, the rules and the neighbour entries, from one `ip -j -batch` (plus one for the
 * IPv6 rules when asked), so applying or checking a routing policy costs one or two spawns.
 */
import { type AddressInfo, parseAddrs } from "./addresses.ts";
import { readIpBatch } from "./ip_batch.ts";
import { type Link, parseLinks } from "./links.ts";
import { type NeighbourInfo, parseNeighbours } from "./neighbours.ts";
import { parseRoutes, type RouteInfo } from "./routes.ts";
import { parseRules, type RuleInfo } from "./rules.ts";
import { isCommandError, type Runner } from "./runner.ts";
import { checkIfName } from "./_validate.ts";
import type { Netns } from "./target.ts";

export interface RoutingView {
  /** `kind` is not read here (null); name, index, MAC, state are. */
  links: Link[];
  addresses: AddressInfo[];
  /** Every table's routes (`table` null = main), IPv4 and IPv6. */
  routes: RouteInfo[];
  /** IPv4 rules, and IPv6 ones when they were asked for. */
  rules: RuleInfo[];
  neighbours: NeighbourInfo[];
}

export async function readRoutingView(
  runner: Runner,
  ns: Netns | undefined,
  options: { inet6Rules?: boolean } = {},
): Promise<RoutingView> {
  const [addrs = "", routes = "", rules = "", neighbours = ""] = await readIpBatch(
    runner,
    ns,
    [["addr", "show"], ["route", "show", "table", "all"], ["rule", "show"], ["neigh", "show"]],
  );
  const inet6Rules = options.inet6Rules
    ? parseRules((await readIpBatch(runner, ns, [["rule", "show"]], "inet6"))[0] ?? "")
    : [];
  return {
    links: parseLinks(addrs),
    addresses: parseAddrs(addrs),
    routes: parseRoutes(routes),
    rules: [...parseRules(rules), ...inet6Rules],
    neighbours: parseNeighbours(neighbours),
  };
}

/** One interface: the link (MAC), its addresses and its neighbour entries. */
export interface InterfaceView {
  link: Link;
  addresses: AddressInfo[];
  neighbours: NeighbourInfo[];
}

/** `ifname` in `ns` in one read; undefined when there is no such interface. */
export async function readInterfaceView(
  runner: Runner,
  ns: Netns | undefined,
  ifname: string,
): Promise<InterfaceView | undefined> {
  const dev = checkIfName(ifname);
  let outputs: string[];
  try {
    outputs = await readIpBatch(runner, ns, [["addr", "show", "dev", dev], [
      "neigh",
      "show",
      "dev",
      dev,
    ]]);
  } catch (error) {
    if (isCommandError(error, "not-found")) return undefined;
    throw error;
  }
  const link = parseLinks(outputs[0] ?? "")[0];
  if (!link) return undefined;
  return {
    link,
    addresses: parseAddrs(outputs[0] ?? ""),
    neighbours: parseNeighbours(outputs[1] ?? "", dev),
  };
}
