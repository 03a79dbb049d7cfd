/** Neighbour (ARP/NDP) entries: read back from `ip -j neigh`, permanent ones set and removed. */
import * as v from "valibot";
import { IpSchema, MacSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked, checkIfName } from "./_validate.ts";
import type { IpCommand } from "./ip_batch.ts";
import { isCommandError, runChecked, type Runner } from "./runner.ts";
import { ipArgv, type Netns } from "./target.ts";

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

/** `dev`: the interface asked for, which ip leaves out of each entry when filtering by it. */
export function parseNeighbours(stdout: string, dev?: string): NeighbourInfo[] {
  return parseIpJson(IpNeighSchema, stdout, "neighbours").map((n) => ({
    ip: n.dst,
    dev: n.dev ?? dev ?? null,
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
  return parseNeighbours(await runChecked(runner, ipArgv(ns, args)), ifname);
}

/** A permanent entry: `ip` on `dev` is at `mac`, never resolved nor aged out. */
export interface NeighbourSpec {
  ip: string;
  dev: string;
  mac: string;
}

/** `neigh replace IP lladdr MAC dev DEV nud permanent`, for an ip batch. */
export function permanentNeighbourCommand(entry: NeighbourSpec): IpCommand {
  return {
    family: null,
    args: [
      "neigh",
      "replace",
      checked(IpSchema, entry.ip, "neighbour address"),
      "lladdr",
      checked(MacSchema, entry.mac, "neighbour MAC"),
      "dev",
      checkIfName(entry.dev),
      "nud",
      "permanent",
    ],
  };
}

/** `neigh del IP dev DEV`, for an ip batch. */
export function delNeighbourCommand(entry: Pick<NeighbourSpec, "ip" | "dev">): IpCommand {
  return {
    family: null,
    args: [
      "neigh",
      "del",
      checked(IpSchema, entry.ip, "neighbour address"),
      "dev",
      checkIfName(entry.dev),
    ],
  };
}

/** Sets (or overwrites) a permanent entry. */
export async function setPermanentNeighbour(
  runner: Runner,
  ns: Netns | undefined,
  entry: NeighbourSpec,
): Promise<void> {
  await runChecked(runner, ipArgv(ns, permanentNeighbourCommand(entry).args));
}

/** Removes an entry; one that is not there (or whose device is gone) is success. */
export async function delNeighbour(
  runner: Runner,
  ns: Netns | undefined,
  entry: Pick<NeighbourSpec, "ip" | "dev">,
): Promise<void> {
  try {
    await runChecked(runner, ipArgv(ns, delNeighbourCommand(entry).args));
  } catch (error) {
    if (!isCommandError(error, "not-found")) throw error;
  }
}
