/** Links (interfaces): read back from `ip -j -d link show`, bridges, veth pairs, attributes. */
import * as v from "valibot";
import { MacSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked, checkIfName } from "./_validate.ts";
import type { IpCommand } from "./ip_batch.ts";
import { isCommandError, runChecked, type Runner } from "./runner.ts";
import { execArgv, ipArgv, type Netns, netnsPath } from "./target.ts";

/** One entry of `ip -j -d link show`; loose because iproute2 adds fields over time. */
const IpLinkSchema = v.looseObject({
  ifindex: v.number(),
  ifname: v.string(),
  address: v.optional(v.string()),
  mtu: v.number(),
  flags: v.optional(v.array(v.string()), []),
  operstate: v.optional(v.string(), "UNKNOWN"),
  master: v.optional(v.string()),
  /** Peer name when the peer is in the same namespace. */
  link: v.optional(v.nullable(v.string())),
  /** Peer ifindex when the peer is in another namespace. */
  link_index: v.optional(v.number()),
  link_netnsid: v.optional(v.number()),
  ifalias: v.optional(v.string()),
  linkinfo: v.optional(v.looseObject({ info_kind: v.optional(v.string()) })),
});

export interface Link {
  index: number;
  name: string;
  mac: string | null;
  mtu: number;
  /** IFF_UP: the administrative state we set, independent of carrier. */
  adminUp: boolean;
  /** Kernel operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN... */
  operState: string;
  /** Bridge this link is a port of. */
  master: string | null;
  /** veth, bridge, dummy... from linkinfo; null for plain devices such as lo. */
  kind: string | null;
  /** ifindex of the veth peer (in the peer's namespace when linkNetnsId is set). */
  peerIndex: number | null;
  /** Namespace id (as seen from this netns) where the peer lives; null when local. */
  linkNetnsId: number | null;
  alias: string | null;
}

export function parseLinks(stdout: string): Link[] {
  const raw = parseIpJson(IpLinkSchema, stdout, "links");
  const indexByName = new Map(raw.map((l) => [l.ifname, l.ifindex]));
  return raw.map((l): Link => ({
    index: l.ifindex,
    name: l.ifname,
    mac: l.address ?? null,
    mtu: l.mtu,
    adminUp: l.flags.includes("UP"),
    operState: l.operstate,
    master: l.master ?? null,
    kind: l.linkinfo?.info_kind ?? null,
    peerIndex: l.link_index ?? (l.link ? indexByName.get(l.link) ?? null : null),
    linkNetnsId: l.link_netnsid ?? null,
    alias: l.ifalias ?? null,
  }));
}

export async function listLinks(runner: Runner, ns?: Netns): Promise<Link[]> {
  return parseLinks(await runChecked(runner, ipArgv(ns, ["-j", "-d", "link", "show"])));
}

/** The link named `name`, or undefined when it does not exist. */
export async function getLink(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
): Promise<Link | undefined> {
  const argv = ipArgv(ns, ["-j", "-d", "link", "show", "dev", checkIfName(name)]);
  try {
    return parseLinks(await runChecked(runner, argv))[0];
  } catch (error) {
    if (isCommandError(error, "not-found")) return undefined;
    throw error;
  }
}

/** Creates the bridge if missing (an existing non-bridge link of that name is an error), sets it up. */
export async function ensureBridge(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
  options: { mtu?: number } = {},
): Promise<Link> {
  checkIfName(name, "bridge name");
  const existing = await getLink(runner, ns, name);
  if (existing && existing.kind !== "bridge") {
    throw new Error(
      `Cannot create bridge "${name}": a ${existing.kind ?? "plain"} link has that name`,
    );
  }
  if (!existing) {
    const args = ["link", "add", "name", name];
    if (options.mtu !== undefined) args.push("mtu", String(checkMtu(options.mtu)));
    args.push("type", "bridge");
    try {
      await runChecked(runner, ipArgv(ns, args));
    } catch (error) {
      // Lost a race with another creator: fine as long as the winner made a bridge.
      if (!isCommandError(error, "exists")) throw error;
    }
  } else if (options.mtu !== undefined && existing.mtu !== options.mtu) {
    await setMtu(runner, ns, name, options.mtu);
  }
  await setLinkUp(runner, ns, name);
  const link = await getLink(runner, ns, name);
  if (!link || link.kind !== "bridge") throw new Error(`Bridge "${name}" vanished after creation`);
  return link;
}

export interface VethPairOptions {
  /** Name of the end that stays in `ns`. */
  hostName: string;
  /** Name of the end created directly inside `peerNetns`. */
  peerName: string;
  peerNetns: Netns;
  peerMac?: string;
  /** Applied to both ends. */
  mtu?: number;
  /**
   * Make the peer end administratively up as it is made (one command fewer than a `link set
   * up` after it). It has no carrier until the host end is up, so what waits for the link
   * (IPv6 DAD, arp_notify) still starts then.
   */
  peerUp?: boolean;
}

/**
 * One `ip link add name HOST [mtu M] type veth peer name PEER [mtu M] [address MAC] netns PATH`
 * call: the pod end is born inside the pod netns, so a failure never leaves it in ours and
 * there is no window where two pods could see the same name in the host netns.
 */
export async function createVethPair(
  runner: Runner,
  ns: Netns | undefined,
  options: VethPairOptions,
): Promise<void> {
  const host = checkIfName(options.hostName, "host interface name");
  const peer = checkIfName(options.peerName, "peer interface name");
  const args = ["link", "add", "name", host];
  const mtu = options.mtu === undefined ? [] : ["mtu", String(checkMtu(options.mtu))];
  args.push(...mtu, "type", "veth", "peer", "name", peer, ...mtu);
  if (options.peerMac !== undefined) {
    args.push("address", checked(MacSchema, options.peerMac, "peer MAC"));
  }
  if (options.peerUp) args.push("up");
  // `netns X` takes a path when X contains "/", which works for names and /proc paths alike.
  args.push("netns", netnsPath(options.peerNetns));
  await runChecked(runner, ipArgv(ns, args));
}

/**
 * The same pair made from the other side: `ip link add name PEER [address MAC] [mtu M] type
 * veth peer name HOST [mtu M] netns HOSTNS` run inside `peerNetns`, with our own netns named
 * by our pid (or `ns` by its path). A long-lived `ip -batch` (ip_pool.ts) keeps the file of a
 * `netns PATH` argument open for its whole life, which keeps that netns alive after it is
 * deleted (its veths with it); run this way, only the short-lived ip forked into the pod
 * opens anything, and our pid needs no file at all.
 */
export async function createVethPairFromPeer(
  runner: Runner,
  ns: Netns | undefined,
  options: VethPairOptions,
): Promise<void> {
  const host = checkIfName(options.hostName, "host interface name");
  const peer = checkIfName(options.peerName, "peer interface name");
  const mtu = options.mtu === undefined ? [] : ["mtu", String(checkMtu(options.mtu))];
  const args = ["link", "add", "name", peer];
  if (options.peerMac !== undefined) {
    args.push("address", checked(MacSchema, options.peerMac, "peer MAC"));
  }
  if (options.peerUp) args.push("up");
  args.push(...mtu, "type", "veth", "peer", "name", host, ...mtu);
  args.push("netns", ns === undefined ? String(Deno.pid) : netnsPath(ns));
  await runChecked(runner, ipArgv(options.peerNetns, args));
}

export async function setLinkUp(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
): Promise<void> {
  await runChecked(runner, ipArgv(ns, ["link", "set", "dev", checkIfName(name), "up"]));
}

export async function setLinkDown(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
): Promise<void> {
  await runChecked(runner, ipArgv(ns, ["link", "set", "dev", checkIfName(name), "down"]));
}

/** Makes `name` a port of `bridge`. */
export async function setMaster(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
  bridge: string,
): Promise<void> {
  const argv = ipArgv(ns, [
    "link",
    "set",
    "dev",
    checkIfName(name),
    "master",
    checkIfName(bridge, "bridge name"),
  ]);
  await runChecked(runner, argv);
}

export async function setMtu(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
  mtu: number,
): Promise<void> {
  const argv = ipArgv(ns, ["link", "set", "dev", checkIfName(name), "mtu", String(checkMtu(mtu))]);
  await runChecked(runner, argv);
}

/** `link set dev NAME address MAC`, for an ip batch. */
export function setMacCommand(name: string, mac: string): IpCommand {
  const address = checked(MacSchema, mac, "MAC");
  return { family: null, args: ["link", "set", "dev", checkIfName(name), "address", address] };
}

export async function setMac(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
  mac: string,
): Promise<void> {
  await runChecked(runner, ipArgv(ns, setMacCommand(name, mac).args));
}

/** Deletes a link (for a veth, both ends go); a missing link is success. */
export async function deleteLink(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
): Promise<void> {
  try {
    await runChecked(runner, ipArgv(ns, ["link", "del", "dev", checkIfName(name)]));
  } catch (error) {
    if (!isCommandError(error, "not-found")) throw error;
  }
}

/** The links whose master is `bridge`. */
export async function listBridgePorts(
  runner: Runner,
  ns: Netns | undefined,
  bridge: string,
): Promise<Link[]> {
  const argv = ipArgv(ns, [
    "-j",
    "-d",
    "link",
    "show",
    "master",
    checkIfName(bridge, "bridge name"),
  ]);
  return parseLinks(await runChecked(runner, argv));
}

/** Linux accepts 68..65535 for IPv4-capable links; reject anything else before calling ip. */
function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new TypeError(`Invalid MTU ${mtu}: expected an integer from 68 to 65535`);
  }
  return mtu;
}

/**
 * `ethtool -K NAME tx off`: the kernel finishes UDP and TCP checksums itself. A veth that
 * sends through OVS's userspace datapath needs it: that datapath forwards frames as they
 * are, so a checksum left to offload arrives unfinished and the receiver drops it.
 */
export async function disableTxChecksumOffload(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
): Promise<void> {
  await runChecked(runner, execArgv(ns, ["ethtool", "-K", checkIfName(name), "tx", "off"]));
}
