/**
 * From the config's `routingPolicy` to what it means for one interface of one pod (pure):
 * `checkRoutingPolicy` runs before ADD creates anything (the rules that need only the
 * interface's name); `resolveIntent` decides the rest once the interface exists (migrateRoute
 * -1 looks at the pod's other interfaces). Mistakes are CNI code 7 naming the field.
 */
import { ETH0, type RoutingIntent } from "../../core/eve/mod.ts";
import type { RoutingView } from "../../netns/mod.ts";
import { CniError, CniErrorCode } from "../cni/mod.ts";
import { RESERVED_TABLES, type RoutingPolicy } from "./routing_policy_schema.ts";

/** `table: "auto"`: 100 + the number the interface name ends in (eth0 100, net1 101). */
export const AUTO_TABLE_BASE = 100;

function invalid(field: string, msg: string, fix: string): CniError {
  return new CniError(CniErrorCode.InvalidConfig, `Invalid "routingPolicy.${field}": ${msg}`, fix);
}

/** The table number of `policy` for `ifname`, or a code-7 error saying why there is none. */
export function tableFor(policy: RoutingPolicy, ifname: string): number {
  if (policy.table !== "auto") return policy.table;
  const digits = /(\d+)$/.exec(ifname)?.[1];
  const table = digits === undefined ? NaN : AUTO_TABLE_BASE + Number(digits);
  if (!Number.isSafeInteger(table) || table > 0xffffffff || RESERVED_TABLES.has(table)) {
    throw invalid(
      "table",
      `"auto" needs an interface name ending in a number (eth0, net1), not "${ifname}"` +
        (digits === undefined ? "" : ` (table ${table} is not usable)`),
      "give the table a number",
    );
  }
  return table;
}

/** The rules that need only the interface's name, checked before ADD creates anything. */
export function checkRoutingPolicy(policy: RoutingPolicy, ifname: string): void {
  if (policy.macPrefix !== undefined && ifname !== ETH0) {
    throw invalid(
      "macPrefix",
      `applies to eth0 only, not "${ifname}"`,
      "a network instance's MAC is its app adapter's: zedrouter finds the adapter and the " +
        "NI's DHCP server its reservation by it; remove macPrefix from this NAD",
    );
  }
  if (policy.migrateRoute !== 0) tableFor(policy, ifname);
}

/** Interface names in the kernel's usual order: eth0 < net1 < net2 < net10. */
export function compareInterfaceNames(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/**
 * migrateRoute -1: move the routes unless this interface sorts first, by name, among the
 * pod's interfaces that have an address (so eth0 keeps main; net1, net2 move).
 */
export function sortsAfterAnother(view: RoutingView, ifname: string): boolean {
  const addressed = new Set(
    view.addresses.filter((a) => a.scope === "global" && a.ifname !== "lo").map((a) => a.ifname),
  );
  return [...addressed].some((name) => name !== ifname && compareInterfaceNames(name, ifname) < 0);
}

/** The policy resolved for `ifname` in the pod `view` shows. */
export function resolveIntent(
  policy: RoutingPolicy,
  ifname: string,
  view: RoutingView,
): RoutingIntent {
  checkRoutingPolicy(policy, ifname);
  const migrate = policy.migrateRoute === 1 ||
    (policy.migrateRoute === -1 && sortsAfterAnother(view, ifname));
  const { overlay, service, additional } = policy.hijackSubnets;
  return {
    table: migrate ? tableFor(policy, ifname) : null,
    hijackSubnets: [...new Set([...overlay, ...service, ...additional])],
    rpFilter: policy.rpFilter ?? null,
    neighbours: policy.neighbours,
    macPrefix: policy.macPrefix ?? null,
  };
}
