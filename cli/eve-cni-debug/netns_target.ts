/**
 * Turns a user's `NAME|PATH` into a validated netns target: a path when it contains "/",
 * else a name under /var/run/netns. Bad input is a usage error naming the rule.
 */
import * as v from "valibot";
import { describeIssues, NetnsNameSchema, NetnsPathSchema } from "../../core/mod.ts";
import type { Netns } from "../../netns/mod.ts";
import { UsageError } from "./exit_codes.ts";

export function parseNetnsArg(value: string, what = "namespace"): Netns {
  if (value.includes("/")) {
    const path = v.safeParse(NetnsPathSchema, value);
    if (!path.success) {
      throw new UsageError(`Invalid ${what} "${value}": ${describeIssues(path.issues)}`);
    }
    return { path: path.output };
  }
  const name = v.safeParse(NetnsNameSchema, value);
  if (!name.success) {
    throw new UsageError(`Invalid ${what} "${value}": ${describeIssues(name.issues)}`);
  }
  return { name: name.output };
}

/** The host netns option as a target (undefined = our own netns). */
export function hostNetns(value: string | undefined): Netns | undefined {
  return value === undefined ? undefined : parseNetnsArg(value, "--host-netns");
}

/** `/var/run/netns/X` for a name, the path itself otherwise. */
export function netnsPathOf(ns: Netns): string {
  return "name" in ns ? `/var/run/netns/${ns.name}` : ns.path;
}

/** The named form of a /var/run/netns path (ip -n is cheaper than nsenter), else the path. */
export function netnsFromPath(path: string): Netns {
  const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(path);
  if (m?.[1] && v.is(NetnsNameSchema, m[1])) return { name: m[1] };
  return { path };
}
