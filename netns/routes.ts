/** Routes: read back from `ip -j route`, add (EEXIST optional), replace, delete, in any table. */
import * as v from "valibot";
import { CidrSchema, IpSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked, checkIfName } from "./_validate.ts";
import type { IpCommand } from "./ip_batch.ts";
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
  prefsrc: v.optional(v.string()),
  flags: v.optional(v.array(v.string()), []),
});

export interface RouteInfo {
  /** "default" or a CIDR; a host route is shown by ip without "/32", we add it back. */
  dst: string;
  gateway: string | null;
  dev: string | null;
  scope: string | null;
  protocol: string | null;
  metric: number | null;
  /** Only reported by ip for tables other than main (and not when one table was asked for). */
  table: string | null;
  /** The source address the route prefers (`src`), e.g. a connected route's own address. */
  prefsrc: string | null;
  /** The gateway is taken as on-link without a connected route to it. */
  onlink: boolean;
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
    prefsrc: r.prefsrc ?? null,
    onlink: r.flags.includes("onlink"),
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
  /** A table name or number; default main. */
  table?: string | number;
  /** Preferred source address (`src`). */
  src?: string;
  /** `proto`: kernel, boot, static, dhcp... */
  protocol?: string;
  /** Take the gateway as on-link even without a connected route to it. */
  onlink?: boolean;
}

function routeArgs(route: RouteSpec): string[] {
  const dst = route.dst === "default"
    ? "default"
    : checked(CidrSchema, route.dst, "route destination");
  const args = [dst];
  if (route.via !== undefined) args.push("via", checked(IpSchema, route.via, "route gateway"));
  args.push("dev", checkIfName(route.dev));
  if (route.protocol !== undefined) {
    if (!/^[a-z0-9_]{1,16}$/.test(route.protocol)) {
      throw new TypeError(`Invalid route protocol ${JSON.stringify(route.protocol)}`);
    }
    args.push("proto", route.protocol);
  }
  if (route.scope !== undefined) args.push("scope", route.scope);
  if (route.src !== undefined) args.push("src", checked(IpSchema, route.src, "route source"));
  if (route.metric !== undefined) {
    if (!Number.isInteger(route.metric) || route.metric < 0) {
      throw new TypeError(`Invalid route metric ${route.metric}: expected a non-negative integer`);
    }
    args.push("metric", String(route.metric));
  }
  if (route.onlink) args.push("onlink");
  if (route.table !== undefined) args.push("table", checkTable(String(route.table)));
  return args;
}

/** `route add|replace|del ...` as one command of an ip batch (see ip_batch.ts). */
export function routeCommand(verb: "add" | "replace" | "del", route: RouteSpec): IpCommand {
  return { family: null, args: ["route", verb, ...routeArgs(route)] };
}

/** `ip route add ...`; with ignoreExists a route already present is success. */
export async function addRoute(
  runner: Runner,
  ns: Netns | undefined,
  route: RouteSpec,
  options: { ignoreExists?: boolean } = {},
): Promise<void> {
  try {
    await runChecked(runner, ipArgv(ns, routeCommand("add", route).args));
  } catch (error) {
    if (!(options.ignoreExists && isCommandError(error, "exists"))) throw error;
  }
}

/** `ip route replace ...`: adds the route, or overwrites the one with the same key. */
export async function replaceRoute(
  runner: Runner,
  ns: Netns | undefined,
  route: RouteSpec,
): Promise<void> {
  await runChecked(runner, ipArgv(ns, routeCommand("replace", route).args));
}

/** `ip route del ...`; a route that is not there is success. */
export async function delRoute(
  runner: Runner,
  ns: Netns | undefined,
  route: RouteSpec,
): Promise<void> {
  try {
    await runChecked(runner, ipArgv(ns, routeCommand("del", route).args));
  } catch (error) {
    // ESRCH ("No such process") is how the kernel says "no such route".
    if (isCommandError(error, "not-found")) return;
    if (error instanceof Error && /No such process/.test(error.message)) return;
    throw error;
  }
}

export function checkTable(table: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(table)) {
    throw new TypeError(`Invalid route table ${JSON.stringify(table)}: expected a name or number`);
  }
  return table;
}
