/** IP addresses on links: read back from `ip -j addr show`, add (EEXIST optional), delete, flush. */
import * as v from "valibot";
import { CidrSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked, checkIfName } from "./_validate.ts";
import { isCommandError, runChecked, type Runner } from "./runner.ts";
import { ipArgv, type Netns } from "./target.ts";

const IpAddrLinkSchema = v.looseObject({
  ifname: v.string(),
  addr_info: v.optional(
    v.array(v.looseObject({
      family: v.string(),
      local: v.optional(v.string()),
      prefixlen: v.optional(v.number()),
      scope: v.optional(v.string(), "global"),
    })),
    [],
  ),
});

export interface AddressInfo {
  ifname: string;
  /** `10.11.12.5/24` */
  cidr: string;
  family: "inet" | "inet6";
  /** global, link, host... */
  scope: string;
}

export function parseAddrs(stdout: string): AddressInfo[] {
  const out: AddressInfo[] = [];
  for (const link of parseIpJson(IpAddrLinkSchema, stdout, "addresses")) {
    for (const a of link.addr_info) {
      if ((a.family !== "inet" && a.family !== "inet6") || !a.local || a.prefixlen === undefined) {
        continue;
      }
      out.push({
        ifname: link.ifname,
        cidr: `${a.local}/${a.prefixlen}`,
        family: a.family,
        scope: a.scope,
      });
    }
  }
  return out;
}

/** Addresses in `ns`, optionally of one interface only. */
export async function listAddrs(
  runner: Runner,
  ns: Netns | undefined,
  ifname?: string,
): Promise<AddressInfo[]> {
  const args = ["-j", "addr", "show"];
  if (ifname !== undefined) args.push("dev", checkIfName(ifname));
  return parseAddrs(await runChecked(runner, ipArgv(ns, args)));
}

/** `ip addr add|del CIDR dev IF`, both values checked. */
function addrArgv(
  ns: Netns | undefined,
  verb: "add" | "del",
  ifname: string,
  cidr: string,
): string[] {
  return ipArgv(ns, [
    "addr",
    verb,
    checked(CidrSchema, cidr, "address"),
    "dev",
    checkIfName(ifname),
  ]);
}

/** `ip addr add CIDR dev IF`; with ignoreExists an address already present is success. */
export async function addAddr(
  runner: Runner,
  ns: Netns | undefined,
  ifname: string,
  cidr: string,
  options: { ignoreExists?: boolean } = {},
): Promise<void> {
  const argv = addrArgv(ns, "add", ifname, cidr);
  try {
    await runChecked(runner, argv);
  } catch (error) {
    if (!(options.ignoreExists && isCommandError(error, "exists"))) throw error;
  }
}

/** `ip addr del CIDR dev IF`; an address that is not there is success. */
export async function delAddr(
  runner: Runner,
  ns: Netns | undefined,
  ifname: string,
  cidr: string,
): Promise<void> {
  const argv = addrArgv(ns, "del", ifname, cidr);
  try {
    await runChecked(runner, argv);
  } catch (error) {
    // The kernel answers EADDRNOTAVAIL ("Cannot assign requested address") for a missing one.
    if (isCommandError(error, "not-found")) return;
    if (error instanceof Error && /Cannot assign requested address/.test(error.message)) return;
    throw error;
  }
}

/** Removes every address of `ifname`. */
export async function flushAddrs(
  runner: Runner,
  ns: Netns | undefined,
  ifname: string,
): Promise<void> {
  await runChecked(runner, ipArgv(ns, ["addr", "flush", "dev", checkIfName(ifname)]));
}
