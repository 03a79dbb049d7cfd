/** Routes, rules and neighbours: read back from `ip -j`, add (EEXIST optional), delete. */
import * as v from "valibot";
import { CidrSchema, IpSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked, checkIfName } from "./_validate.ts";
import { isCommandError, runChecked, type Runner } from "./runner.ts";
import { ipArgv, type Netns } from "./target.ts";

const IpRouteSchema = v.looseObject({
  dst: v.string(),
  gateway: v.optional(v.string()),
  dev: v.optional(v.string()),
  scope: v.optional(v.string()),
  protocol: v.optional(v.string()),
  metric: v.optional(v.number()),
  table: v.optional(v.string()),
});

export interface RouteInfo {
  /** "default" or a CIDR; a host route is shown by ip without "/32", we add it back. */
  dst: string;
  gateway: string | null;
  dev: string | null;
  scope: string | null;
  protocol: string | null;
  metric: number | null;
  /** Only reported by ip for tables other than main. */
  table: string | null;
}

export function parseRoutes(stdout: string): RouteInfo[] {
  return parseIpJson(IpRouteSchema, stdout, "routes").map((r) => ({
    dst: normaliseDst(r.dst),
    gateway: r.gateway ?? null,
    dev: r.dev ?? null,
    scope: r.scope ?? null,
    protocol: r.protocol ?? null,
    metric: r.metric ?? null,
    table: r.table ?? null,
  }));
}

function normaliseDst(dst: string): string {
  if (dst === "default" || dst.includes("/")) return dst;
  return dst.includes(":") ? `${dst}/128` : `${dst}/32`;
}

export interface RouteQuery {
  /** A table name or number, or "all". Default: main. */
  table?: string;
  family?: "inet" | "inet6";
}

export async function listRoutes(
  runner: Runner,
  ns: Netns | undefined,
  query: RouteQuery = {},
): Promise<RouteInfo[]> {
  const args = ["-j"];
  if (query.family) args.push(query.family === "inet" ? "-4" : "-6");
  args.push("route", "show");
  if (query.table !== undefined) args.push("table", checkTable(query.table));
  return parseRoutes(await runChecked(runner, ipArgv(ns, args)));
}

export interface RouteSpec {
  /** "default" or a CIDR. */
  dst: string;
  via?: string;
  dev: string;
  scope?: "link" | "global" | "host";
  metric?: number;
}

function routeArgs(route: RouteSpec): string[] {
  const dst = route.dst === "default"
    ? "default"
    : checked(CidrSchema, route.dst, "route destination");
  const args = [dst];
  if (route.via !== undefined) args.push("via", checked(IpSchema, route.via, "route gateway"));
  args.push("dev", checkIfName(route.dev));
  if (route.scope !== undefined) args.push("scope", route.scope);
  if (route.metric !== undefined) {
    if (!Number.isInteger(route.metric) || route.metric < 0) {
      throw new TypeError(`Invalid route metric ${route.metric}: expected a non-negative integer`);
    }
    args.push("metric", String(route.metric));
  }
  return args;
}

/** `ip route add ...`; with ignoreExists a route already present is success. */
export async function addRoute(
  runner: Runner,
  ns: Netns | undefined,
  route: RouteSpec,
  options: { ignoreExists?: boolean } = {},
): Promise<void> {
  try {
    await runChecked(runner, ipArgv(ns, ["route", "add", ...routeArgs(route)]));
  } catch (error) {
    if (!(options.ignoreExists && isCommandError(error, "exists"))) throw error;
  }
}

/** `ip route del ...`; a route that is not there is success. */
export async function delRoute(
  runner: Runner,
  ns: Netns | undefined,
  route: RouteSpec,
): Promise<void> {
  try {
    await runChecked(runner, ipArgv(ns, ["route", "del", ...routeArgs(route)]));
  } catch (error) {
    // ESRCH ("No such process") is how the kernel says "no such route".
    if (isCommandError(error, "not-found")) return;
    if (error instanceof Error && /No such process/.test(error.message)) return;
    throw error;
  }
}

function checkTable(table: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(table)) {
    throw new TypeError(`Invalid route table ${JSON.stringify(table)}: expected a name or number`);
  }
  return table;
}

const IpRuleSchema = v.looseObject({
  priority: v.optional(v.number()),
  src: v.optional(v.string()),
  srclen: v.optional(v.number()),
  dst: v.optional(v.string()),
  dstlen: v.optional(v.number()),
  iif: v.optional(v.string()),
  oif: v.optional(v.string()),
  table: v.optional(v.string()),
});

export interface RuleInfo {
  priority: number | null;
  /** "all" or a CIDR */
  src: string;
  dst: string;
  iif: string | null;
  oif: string | null;
  table: string | null;
}

export function parseRules(stdout: string): RuleInfo[] {
  const withLen = (addr: string | undefined, len: number | undefined) =>
    addr === undefined ? "all" : len === undefined ? addr : `${addr}/${len}`;
  return parseIpJson(IpRuleSchema, stdout, "rules").map((r) => ({
    priority: r.priority ?? null,
    src: withLen(r.src, r.srclen),
    dst: withLen(r.dst, r.dstlen),
    iif: r.iif ?? null,
    oif: r.oif ?? null,
    table: r.table ?? null,
  }));
}

export async function listRules(
  runner: Runner,
  ns: Netns | undefined,
  family: "inet" | "inet6" = "inet",
): Promise<RuleInfo[]> {
  const argv = ipArgv(ns, ["-j", family === "inet" ? "-4" : "-6", "rule", "show"]);
  return parseRules(await runChecked(runner, argv));
}

const IpNeighSchema = v.looseObject({
  dst: v.string(),
  dev: v.optional(v.string()),
  lladdr: v.optional(v.string()),
  state: v.optional(v.array(v.string()), []),
});

export interface NeighbourInfo {
  ip: string;
  dev: string | null;
  mac: string | null;
  /** REACHABLE, STALE, PERMANENT, FAILED... */
  state: string[];
}

export function parseNeighbours(stdout: string): NeighbourInfo[] {
  return parseIpJson(IpNeighSchema, stdout, "neighbours").map((n) => ({
    ip: n.dst,
    dev: n.dev ?? null,
    mac: n.lladdr ?? null,
    state: n.state,
  }));
}

export async function listNeighbours(
  runner: Runner,
  ns: Netns | undefined,
  ifname?: string,
): Promise<NeighbourInfo[]> {
  const args = ["-j", "neigh", "show"];
  if (ifname !== undefined) args.push("dev", checkIfName(ifname));
  return parseNeighbours(await runChecked(runner, ipArgv(ns, args)));
}
