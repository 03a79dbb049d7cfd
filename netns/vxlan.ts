/**
 * VXLAN devices and the forwarding database (fdb) that joins bridges across nodes: a VXLAN
 * device enslaved to a bridge carries the bridge's frames in UDP to the other nodes' VTEPs.
 * Flooded frames (broadcast, unknown unicast: DHCP, ARP) go to a multicast group, or to
 * every unicast peer listed as an all-zero fdb entry (head-end replication); the kernel then
 * learns which remote VTEP each MAC is behind.
 */
import * as v from "valibot";
import { IpSchema, MacSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked, checkIfName } from "./_validate.ts";
import { getLink } from "./links.ts";
import { runChecked, type Runner } from "./runner.ts";
import { bridgeArgv, ipArgv, type Netns } from "./target.ts";

/** The fdb entry whose frames are flooded: the all-zero MAC. */
export const FLOOD_MAC = "00:00:00:00:00:00";

export interface VxlanSpec {
  readonly name: string;
  /** VXLAN Network Identifier, 1..16777215: the same on every node of the segment. */
  readonly vni: number;
  /** This node's underlay address, the source of the UDP packets. */
  readonly local: string;
  /** UDP destination port (IANA's is 4789; Linux's default without one is 8472). */
  readonly port: number;
  /** Multicast group for flooded frames; null: unicast peers in the fdb. */
  readonly group: string | null;
  /** Underlay interface (required with a group: the group is joined there). */
  readonly device: string | null;
  readonly mtu?: number;
}

/** A VXLAN device as the kernel reports it. */
export interface VxlanInfo {
  readonly name: string;
  readonly vni: number;
  readonly local: string | null;
  readonly group: string | null;
  readonly device: string | null;
  readonly port: number;
  readonly learning: boolean;
  readonly mtu: number;
  readonly adminUp: boolean;
  readonly master: string | null;
}

const VniSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16_777_215));
const PortSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535));

/** `ip link add name N [mtu M] type vxlan id VNI local A dstport P [group G] [dev D]`. */
export async function createVxlan(
  runner: Runner,
  ns: Netns | undefined,
  spec: VxlanSpec,
): Promise<void> {
  const args = ["link", "add", "name", checkIfName(spec.name, "VXLAN device name")];
  if (spec.mtu !== undefined) args.push("mtu", String(spec.mtu));
  args.push("type", "vxlan", "id", String(checked(VniSchema, spec.vni, "VNI")));
  args.push("local", checked(IpSchema, spec.local, "VXLAN local address"));
  args.push("dstport", String(checked(PortSchema, spec.port, "VXLAN UDP port")));
  if (spec.group !== null) {
    if (spec.device === null) throw new TypeError("A VXLAN multicast group needs a device");
    args.push("group", checked(IpSchema, spec.group, "VXLAN group"));
  }
  if (spec.device !== null) args.push("dev", checkIfName(spec.device, "VXLAN underlay device"));
  await runChecked(runner, ipArgv(ns, args));
}

const VxlanDataSchema = v.looseObject({
  id: v.number(),
  local: v.optional(v.string()),
  group: v.optional(v.string()),
  link: v.optional(v.string()),
  port: v.optional(v.number(), 8472),
  learning: v.optional(v.boolean(), true),
});
const VxlanLinkSchema = v.looseObject({
  linkinfo: v.looseObject({ info_kind: v.literal("vxlan"), info_data: VxlanDataSchema }),
});

/** The VXLAN device `name`, or undefined when there is none (or `name` is another kind). */
export async function getVxlan(
  runner: Runner,
  ns: Netns | undefined,
  name: string,
): Promise<VxlanInfo | undefined> {
  const link = await getLink(runner, ns, name);
  if (!link || link.kind !== "vxlan") return undefined;
  const argv = ipArgv(ns, ["-j", "-d", "link", "show", "dev", checkIfName(name)]);
  const [raw] = parseIpJson(VxlanLinkSchema, await runChecked(runner, argv), "vxlan link");
  if (!raw) return undefined;
  const d = raw.linkinfo.info_data;
  return {
    name,
    vni: d.id,
    local: d.local ?? null,
    group: d.group ?? null,
    device: d.link ?? null,
    port: d.port,
    learning: d.learning,
    mtu: link.mtu,
    adminUp: link.adminUp,
    master: link.master,
  };
}

/** One fdb entry: a MAC behind a port (and, on a VXLAN port, behind remote VTEP `dst`). */
export interface FdbEntry {
  readonly mac: string;
  /** The remote VTEP (VXLAN entries only). */
  readonly dst: string | null;
  readonly ifname: string | null;
  readonly master: string | null;
  /** `permanent`, `static`, or null for a learned (aging) entry. */
  readonly state: string | null;
  /** `self` (the device's own table), `extern_learn`... */
  readonly flags: readonly string[];
}

const FdbSchema = v.looseObject({
  mac: v.string(),
  dst: v.optional(v.string()),
  ifname: v.optional(v.string()),
  master: v.optional(v.string()),
  state: v.optional(v.string()),
  flags: v.optional(v.array(v.string()), []),
});

/** `bridge -j fdb show` of one device (`dev`) or of a bridge and its ports (`br`). */
export async function listFdb(
  runner: Runner,
  ns: Netns | undefined,
  of: { readonly dev: string } | { readonly br: string },
): Promise<FdbEntry[]> {
  const filter = "dev" in of
    ? ["dev", checkIfName(of.dev)]
    : ["br", checkIfName(of.br, "bridge name")];
  const out = await runChecked(runner, bridgeArgv(ns, ["-j", "fdb", "show", ...filter]));
  return parseIpJson(FdbSchema, out, "fdb entries").map((e) => ({
    mac: e.mac.toLowerCase(),
    dst: e.dst ?? null,
    ifname: e.ifname ?? ("dev" in of ? of.dev : null),
    master: e.master ?? null,
    state: e.state && e.state !== "" ? e.state : null,
    flags: e.flags,
  }));
}

/**
 * Where a VXLAN device floods to: its all-zero fdb entries' destinations, the unicast peers
 * (the kernel lists a multicast group there too).
 */
export async function listFloodPeers(
  runner: Runner,
  ns: Netns | undefined,
  dev: string,
): Promise<string[]> {
  const entries = await listFdb(runner, ns, { dev });
  return entries.filter((e) => e.mac === FLOOD_MAC && e.dst !== null).map((e) => e.dst!);
}

/** Adds `peer` to the flood list of `dev` (`bridge fdb append`: a second add changes nothing). */
export async function addFloodPeer(
  runner: Runner,
  ns: Netns | undefined,
  dev: string,
  peer: string,
): Promise<void> {
  await runChecked(runner, bridgeArgv(ns, floodArgs("append", dev, peer)));
}

/** Removes `peer` from the flood list of `dev`. */
export async function deleteFloodPeer(
  runner: Runner,
  ns: Netns | undefined,
  dev: string,
  peer: string,
): Promise<void> {
  await runChecked(runner, bridgeArgv(ns, floodArgs("del", dev, peer)));
}

function floodArgs(verb: "append" | "del", dev: string, peer: string): string[] {
  const mac = checked(MacSchema, FLOOD_MAC, "MAC");
  const dst = checked(IpSchema, peer, "VXLAN peer");
  return ["fdb", verb, mac, "dev", checkIfName(dev, "VXLAN device name"), "dst", dst];
}
