/**
 * Per-node pod subnets carved from one PodCIDR, as the Evio CNI config generator does: with
 * NodeBits b, the PodCIDR /p splits into 2^b node subnets of /(p+b); each node's subnet has
 * its gateway at .1 and its pod range from .2 to the last address before broadcast.
 *
 * Pure: which node gets which index is decided by `allocateIndex` from the table of nodes
 * already allocated; persistence and locking live in node_subnet_file.ts.
 */
import ipaddr from "ipaddr.js";
import * as v from "valibot";
import { CidrSchema, parseCidr } from "../../core/mod.ts";
import { UsageError } from "./exit_codes.ts";

export const NodeSubnetSchema = v.strictObject({
  index: v.pipe(v.number(), v.integer(), v.minValue(0)),
  subnet: CidrSchema,
  gateway: v.string(),
  rangeStart: v.string(),
  rangeEnd: v.string(),
});
export type NodeSubnet = v.InferOutput<typeof NodeSubnetSchema>;

function toInt(addr: ipaddr.IPv4): number {
  return addr.octets.reduce((acc, o) => acc * 256 + o, 0);
}

function fromInt(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Checks the PodCIDR and NodeBits; returns the network as an integer and the node prefix. */
export function parsePlan(podCidr: string, nodeBits: number): { base: number; prefix: number } {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let bits: number;
  try {
    [addr, bits] = parseCidr(podCidr);
  } catch {
    throw new UsageError(
      `Invalid --pod-cidr "${podCidr}": expected an IPv4 CIDR such as "10.42.0.0/16"`,
    );
  }
  if (!(addr instanceof ipaddr.IPv4)) {
    throw new UsageError(`Invalid --pod-cidr "${podCidr}": only IPv4 pod CIDRs are supported`);
  }
  if (!Number.isInteger(nodeBits) || nodeBits < 1 || bits + nodeBits > 30) {
    throw new UsageError(
      `Invalid --node-bits ${nodeBits}: with a /${bits} PodCIDR use 1 to ${30 - bits} ` +
        "(each node needs at least a /30)",
    );
  }
  const size = 2 ** (32 - bits);
  const base = toInt(addr) - (toInt(addr) % size);
  return { base, prefix: bits + nodeBits };
}

/** The node subnet number `index` of the plan. */
export function nodeSubnet(podCidr: string, nodeBits: number, index: number): NodeSubnet {
  const { base, prefix } = parsePlan(podCidr, nodeBits);
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** nodeBits) {
    throw new RangeError(`Node subnet index ${index} is outside 0..${2 ** nodeBits - 1}`);
  }
  const size = 2 ** (32 - prefix);
  const network = base + index * size;
  return {
    index,
    subnet: `${fromInt(network)}/${prefix}`,
    gateway: fromInt(network + 1),
    rangeStart: fromInt(network + 2),
    rangeEnd: fromInt(network + size - 2),
  };
}

/**
 * The index for `node`: the one it already has, else the lowest free one. Throws when every
 * subnet is taken (a PodCIDR/NodeBits plan too small for the cluster).
 */
export function allocateIndex(
  node: string,
  taken: Readonly<Record<string, number>>,
  nodeBits: number,
): number {
  const existing = taken[node];
  if (existing !== undefined) return existing;
  const used = new Set(Object.values(taken));
  for (let i = 0; i < 2 ** nodeBits; i++) if (!used.has(i)) return i;
  throw new Error(
    `No free node subnet: all ${
      2 ** nodeBits
    } are allocated; raise --node-bits or widen --pod-cidr`,
  );
}
