/**
 * What applying a routing policy to one pod interface takes, from the kernel's view before
 * (pure: views in, `ip` commands and the record of the result out). Every command is one
 * that cannot fail on a second run (replace, or delete of what the view shows), so applying
 * twice leaves the same state, and the record says what CHECK should find afterwards.
 *
 * - migrateRoute: the interface's routes in main are replaced into its table and deleted from
 *   main (IPv6 link-local stays), its table keeps exactly those (a renewal's stale routes
 *   go), and `from <address>/32 lookup <table>` exists for each address (a moved address's
 *   old rule goes). Another interface's rule or route in that table is a config conflict.
 * - hijackSubnets: `<cidr> via <eth0's gateway> dev eth0 onlink` in main and in the table;
 *   a family eth0 has no gateway in, or a subnet the interface routes itself, is skipped.
 * - macPrefix (eth0): the MAC first, so the host's neighbour entry carries the new one.
 */
import { parseIp } from "../../core/mod.ts";
import {
  ETH0,
  type HijackRoute,
  hostPrefix,
  type RoutingApplied,
  type RoutingIntent,
  type RoutingRule,
  staysInMain,
  type TableRoute,
} from "../../core/eve/mod.ts";
import {
  type AddressInfo,
  type IpCommand,
  routeCommand,
  type RouteInfo,
  type RouteSpec,
  type RoutingView,
  setMacCommand,
  sourceRuleCommand,
} from "../../netns/mod.ts";
import { CniError, CniErrorCode } from "../cni/mod.ts";
import { type HostEnd, planNeighbours } from "./routing_policy_neighbours.ts";

/** The source rules' priority: before main (32766), leaving room for an operator's own. */
export const SOURCE_RULE_PRIORITY = 1000;

export interface PlanInput {
  intent: RoutingIntent;
  ifname: string;
  /** The pod's namespace before (IPv6 rules included when the interface has IPv6). */
  view: RoutingView;
  hostEnd: HostEnd | null;
  /**
   * Routes the interface's table holds whatever main has: the lease's. zedrouter adds them to
   * main, where a second NI's default route is refused (the first NI's is there already).
   */
  routes?: readonly TableRoute[];
  /** The last apply's record (re-apply after a renewal), if any. */
  previous: RoutingApplied | null;
}

export interface RoutingPlan {
  /** In the pod's namespace, in order. */
  pod: IpCommand[];
  /** On the node. */
  host: IpCommand[];
  applied: RoutingApplied;
}

/** The interface's global addresses (`10.78.1.50/24`), IPv4 first. */
export function interfaceAddresses(view: RoutingView, ifname: string): AddressInfo[] {
  return view.addresses
    .filter((a) => a.ifname === ifname && a.scope === "global")
    .sort((a, b) => (a.family === b.family ? 0 : a.family === "inet" ? -1 : 1));
}

/** spiderpool's rule: the prefix, then the 4 low bytes of the first address (IPv4 first). */
export function macFromPrefix(prefix: string, address: string): string {
  const bytes = parseIp(address.split("/")[0] ?? "").toByteArray().slice(-4);
  return [prefix, ...bytes.map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

function scopeOf(route: RouteInfo): RouteSpec["scope"] {
  return route.scope === "link" || route.scope === "host" ? route.scope : undefined;
}

/** The route as ip would re-create it, in `table` (main when undefined). */
function specOf(route: RouteInfo, table?: string | number): RouteSpec {
  const scope = scopeOf(route);
  return {
    dst: route.dst,
    dev: route.dev ?? "",
    ...(route.gateway !== null && { via: route.gateway }),
    ...(scope !== undefined && { scope }),
    ...(route.metric !== null && { metric: route.metric }),
    ...(route.protocol !== null && { protocol: route.protocol }),
    ...(route.prefsrc !== null && { src: route.prefsrc }),
    ...(route.onlink && { onlink: true }),
    ...(table !== undefined && { table }),
  };
}

/** Only what identifies the route, for `route del`. */
function keyOf(route: RouteInfo, table: string | number): RouteSpec {
  return {
    dst: route.dst,
    dev: route.dev ?? "",
    ...(route.gateway !== null && { via: route.gateway }),
    ...(route.metric !== null && { metric: route.metric }),
    table,
  };
}

const NO_ROUTE: RouteInfo = {
  dst: "",
  gateway: null,
  dev: null,
  scope: null,
  protocol: null,
  metric: null,
  table: null,
  prefsrc: null,
  onlink: false,
};

const sameRoute = (a: RouteInfo, b: RouteInfo) =>
  a.dst === b.dst && a.gateway === b.gateway && a.metric === b.metric;

const ruleSource = (src: string) => (src.includes("/") ? src : hostPrefix(src));

function conflict(table: number, detail: string): CniError {
  return new CniError(
    CniErrorCode.InvalidConfig,
    `Invalid "routingPolicy.table": table ${table} is already used in this pod`,
    `${detail}; give each interface of a pod its own table`,
  );
}

/** Throws when another interface's rule or route is in `table`. */
function checkTableIsOurs(view: RoutingView, ifname: string, table: number): void {
  const owners = new Map(
    view.addresses.filter((a) => a.ifname !== ifname).map((a) => [hostPrefix(a.cidr), a.ifname]),
  );
  for (const rule of view.rules) {
    if (rule.table !== String(table)) continue;
    const owner = owners.get(ruleSource(rule.src));
    if (owner !== undefined || rule.src === "all" || rule.priority !== SOURCE_RULE_PRIORITY) {
      const who = owner ? `belongs to "${owner}"` : "is not eve-bridge's";
      throw conflict(table, `rule "from ${rule.src} lookup ${table}" ${who}`);
    }
  }
  const foreign = view.routes.find((r) =>
    r.table === String(table) && r.dev !== ifname && r.dev !== ETH0
  );
  if (foreign) throw conflict(table, `route ${foreign.dst} dev "${foreign.dev}" is in it`);
}

interface TablePlan {
  commands: IpCommand[];
  tableRoutes: TableRoute[];
  rules: RoutingRule[];
}

/** migrateRoute: the interface's routes into `table`, a source rule per address. */
export function planTable(
  view: RoutingView,
  ifname: string,
  table: number,
  addresses: readonly AddressInfo[],
  hijacked: ReadonlySet<string>,
  wanted: readonly TableRoute[] = [],
): TablePlan {
  checkTableIsOurs(view, ifname, table);
  // eth0's own hijack routes are the hijack step's, in main and in the table alike.
  const ours = (r: RouteInfo) => r.dev === ifname && !(ifname === ETH0 && hijacked.has(r.dst));
  const inTable = view.routes.filter((r) => r.table === String(table) && ours(r));
  const inMain = view.routes.filter((r) => r.table === null && ours(r) && !staysInMain(r.dst));
  const commands: IpCommand[] = [];
  const extras = wanted
    .filter((w) => ![...inMain, ...inTable].some((r) => r.dst === w.dst && r.gateway === w.gateway))
    .map((w): RouteInfo => ({ ...NO_ROUTE, dst: w.dst, gateway: w.gateway, dev: ifname }));
  // Main has routes of the interface after ADD's L3 step or a renewal's: the table becomes
  // exactly those (and the lease's). Without any (a re-run), the table keeps what it has.
  const moved = [...(inMain.length > 0 ? inMain : inTable), ...extras];
  for (const route of [...inMain, ...extras]) {
    commands.push(routeCommand("replace", specOf(route, table)));
  }
  for (const stale of inTable.filter((r) => !moved.some((m) => sameRoute(m, r)))) {
    commands.push(routeCommand("del", keyOf(stale, table)));
  }
  for (const route of inMain) commands.push(routeCommand("del", keyOf(route, "main")));
  const rules = addresses.map((a) => ({
    src: hostPrefix(a.cidr),
    table,
    priority: SOURCE_RULE_PRIORITY,
  }));
  const present = view.rules.filter((r) =>
    r.table === String(table) && r.priority === SOURCE_RULE_PRIORITY
  );
  for (const rule of rules) {
    if (!present.some((r) => ruleSource(r.src) === rule.src)) {
      commands.push(sourceRuleCommand("add", rule));
    }
  }
  for (const old of present.filter((r) => !rules.some((w) => w.src === ruleSource(r.src)))) {
    commands.push(
      sourceRuleCommand("del", { src: ruleSource(old.src), table, priority: SOURCE_RULE_PRIORITY }),
    );
  }
  return {
    commands,
    tableRoutes: moved.map((r) => ({ dst: r.dst, gateway: r.gateway })),
    rules,
  };
}

/** eth0's gateway per family, from any of its routes outside the local table. */
export function eth0Gateways(view: RoutingView): Map<"inet" | "inet6", string> {
  const gateways = new Map<"inet" | "inet6", string>();
  const routes = view.routes.filter((r) => r.dev === ETH0 && r.gateway && r.table !== "local");
  // Main's first: an eth0 whose routes moved to its own table still has the same gateway.
  for (const r of [...routes.filter((x) => x.table === null), ...routes]) {
    const family = r.gateway!.includes(":") ? "inet6" : "inet";
    if (!gateways.has(family)) gateways.set(family, r.gateway!);
  }
  return gateways;
}

interface HijackPlan {
  commands: IpCommand[];
  routes: HijackRoute[];
  skipped: string[];
}

export function planHijack(
  view: RoutingView,
  ifname: string,
  intent: RoutingIntent,
): HijackPlan {
  const plan: HijackPlan = { commands: [], routes: [], skipped: [] };
  const gateways = eth0Gateways(view);
  const own = new Set(view.routes.filter((r) => r.dev === ifname).map((r) => r.dst));
  const tables = intent.table === null ? ["main"] : ["main", String(intent.table)];
  for (const dst of intent.hijackSubnets) {
    const family = dst.includes(":") ? "inet6" : "inet";
    const gateway = gateways.get(family);
    if (gateway === undefined) {
      plan.skipped.push(
        `hijack ${dst}: eth0 has no ${family === "inet" ? "IPv4" : "IPv6"} gateway`,
      );
      continue;
    }
    if (ifname !== ETH0 && own.has(dst)) {
      plan.skipped.push(`hijack ${dst}: "${ifname}" routes it itself`);
      continue;
    }
    for (const table of tables) {
      plan.routes.push({ dst, gateway, dev: ETH0, table });
      plan.commands.push(routeCommand("replace", {
        dst,
        via: gateway,
        dev: ETH0,
        onlink: true,
        ...(table !== "main" && { table }),
      }));
    }
  }
  return plan;
}

/** The whole policy for one interface: the commands, in order, and the record of the result. */
export function planRouting(input: PlanInput): RoutingPlan {
  const { intent, ifname, view } = input;
  const link = view.links.find((l) => l.name === ifname);
  if (!link) throw new Error(`Interface "${ifname}" is not in the pod's namespace`);
  const addresses = interfaceAddresses(view, ifname);
  const pod: IpCommand[] = [];
  const skipped: string[] = [];
  let mac: string | null = null;
  if (intent.macPrefix !== null) {
    if (addresses[0] === undefined) skipped.push(`macPrefix: "${ifname}" has no address`);
    else {
      mac = macFromPrefix(intent.macPrefix, addresses[0].cidr);
      if (link.mac !== mac) pod.push(setMacCommand(ifname, mac));
    }
  }
  const table = intent.table === null ? { commands: [], tableRoutes: [], rules: [] } : planTable(
    view,
    ifname,
    intent.table,
    addresses,
    new Set(intent.hijackSubnets),
    input.routes,
  );
  const hijack = planHijack(view, ifname, intent);
  const neighbours = planNeighbours({
    enabled: intent.neighbours,
    ifname,
    podMac: mac ?? link.mac,
    addresses,
    view,
    hostEnd: input.hostEnd,
    previous: input.previous,
  });
  return {
    pod: [...pod, ...table.commands, ...hijack.commands, ...neighbours.pod],
    host: neighbours.host,
    applied: {
      addresses: addresses.map((a) => a.cidr),
      mac,
      rules: table.rules,
      tableRoutes: table.tableRoutes,
      hijackRoutes: hijack.routes,
      skipped: [...skipped, ...hijack.skipped, ...neighbours.skipped],
      podNeighbours: neighbours.podNeighbours,
      hostNeighbours: neighbours.hostNeighbours,
    },
  };
}
