/**
 * The kernel's value objects as eve-cni-debug prints them with --json (`netns`): netns/
 * normalises `ip -j` output into Link, AddressInfo, RouteInfo, RuleInfo and NeighbourInfo,
 * so these shapes are ours and the schemas are strict. The compile-time checks below tie each
 * schema to netns/'s interface: a field added or renamed there fails `deno check` here
 * instead of letting the --json drift from its schema.
 */
import * as v from "valibot";
import type { AddressInfo, Link, NeighbourInfo, RouteInfo, RuleInfo } from "../../netns/mod.ts";

const nullableString = v.nullable(v.string());
const nullableNumber = v.nullable(v.number());

export const LinkSchema = v.strictObject({
  index: v.number(),
  name: v.string(),
  mac: nullableString,
  mtu: v.number(),
  adminUp: v.boolean(),
  operState: v.string(),
  master: nullableString,
  kind: nullableString,
  peerIndex: nullableNumber,
  linkNetnsId: nullableNumber,
  alias: nullableString,
});

export const AddressSchema = v.strictObject({
  ifname: v.string(),
  cidr: v.string(),
  family: v.picklist(["inet", "inet6"]),
  scope: v.string(),
});

export const RouteSchema = v.strictObject({
  dst: v.string(),
  gateway: nullableString,
  dev: nullableString,
  scope: nullableString,
  protocol: nullableString,
  metric: nullableNumber,
  table: nullableString,
  prefsrc: nullableString,
  onlink: v.boolean(),
});

export const RuleSchema = v.strictObject({
  priority: nullableNumber,
  src: v.string(),
  dst: v.string(),
  iif: nullableString,
  oif: nullableString,
  table: nullableString,
});

export const NeighbourSchema = v.strictObject({
  ip: v.string(),
  dev: nullableString,
  mac: nullableString,
  state: v.array(v.string()),
});

/** true only when A and B are the same type (mutually assignable, no extra keys either way). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Checks = [
  Same<v.InferOutput<typeof LinkSchema>, Link>,
  Same<v.InferOutput<typeof AddressSchema>, AddressInfo>,
  Same<v.InferOutput<typeof RouteSchema>, RouteInfo>,
  Same<v.InferOutput<typeof RuleSchema>, RuleInfo>,
  Same<v.InferOutput<typeof NeighbourSchema>, NeighbourInfo>,
];
/** Fails to compile when a schema above and netns/'s interface disagree. */
export const KERNEL_FACT_SCHEMAS_MATCH: Checks = [true, true, true, true, true];
