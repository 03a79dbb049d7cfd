/**
 * The `routingPolicy` block of eve-bridge's config (a NAD's, so one network instance's, or the
 * node conflist's for eth0). Opt-in, knob by knob: a knob left out is not applied. The knobs
 * are spiderpool's `veth`/`router` meta plugins' (`migrate_route`, `*_hijack_subnet`,
 * `rp_filter`, `mac_prefix`, the static neighbours of `setupNeighborhood`):
 *
 * - `table`: the interface's own routing table: a number, or "auto" = 100 + the number its
 *   name ends in (eth0 100, net1 101, net2 102);
 * - `migrateRoute`: 1 always / 0 never (the default; spiderpool's is -1) / -1 when another
 *   interface of the pod sorts before this one by name (eth0 < net1 < net2): the
 *   interface's routes move out of the main table into its own table, with a rule
 *   `from <its address> lookup <table>`, so replies leave by the interface the request
 *   came in on;
 * - `hijackSubnets`: the cluster's pod (`overlay`) and service ranges and any others, routed
 *   via eth0's gateway (in main, and in the interface's table when it has one);
 * - `rpFilter`: the interface's reverse-path filter (IPv4; 0 off, 1 strict, 2 loose);
 * - `neighbours`: permanent ARP/NDP entries between the pod interface and the node's end of
 *   its link (the bridge), both ways, so neither side has to resolve the other;
 * - `macPrefix`: eth0's MAC becomes the prefix plus the 4 low bytes of its address.
 */
import * as v from "valibot";
import ipaddr from "ipaddr.js";
import { CidrSchema, parseCidr } from "../../core/mod.ts";

/** Tables the kernel reserves: 0 unspec, 253 default, 254 main, 255 local. */
export const RESERVED_TABLES = new Set([0, 253, 254, 255]);

const TableNumberSchema = v.pipe(
  v.number('Expected a table number from 1 to 4294967295 or "auto"'),
  v.integer("Expected an integer table number"),
  v.minValue(1, "Expected a table number from 1 to 4294967295"),
  v.maxValue(0xffffffff, "Expected a table number from 1 to 4294967295"),
  v.check((n) => !RESERVED_TABLES.has(n), "Tables 253, 254 and 255 are the kernel's own"),
);

/** A subnet; host bits are cleared (`10.42.3.4/16` is `10.42.0.0/16`), as Go's ParseCIDR does. */
const SubnetSchema = v.pipe(
  CidrSchema,
  v.transform((cidr) => {
    const [addr, bits] = parseCidr(cidr);
    const network = addr.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(cidr)
      : ipaddr.IPv6.networkAddressFromCIDR(cidr);
    return `${network.toString()}/${bits}`;
  }),
);
const SubnetListSchema = v.optional(v.array(SubnetSchema), []);

/**
 * `xx:xx`, the first two bytes of the MAC: locally administered (bit 1 of the first byte set)
 * and unicast (bit 0 clear), so the MAC can never be a vendor's nor a multicast address.
 */
export const MacPrefixSchema = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(/^[0-9a-f]{2}:[0-9a-f]{2}$/, 'Expected two bytes such as "0a:1b"'),
  v.check(
    (s) => (parseInt(s.slice(0, 2), 16) & 0x03) === 0x02,
    'Expected a locally administered unicast prefix: the first byte ends in 2, 6, a or e ("0a:1b")',
  ),
);

export const RoutingPolicySchema = v.strictObject({
  table: v.optional(
    v.union([TableNumberSchema, v.literal("auto")], 'Expected a table number or "auto"'),
    "auto",
  ),
  migrateRoute: v.optional(
    v.picklist([-1, 0, 1], "Expected -1 (by interface name), 0 (never) or 1 (always)"),
    0,
  ),
  hijackSubnets: v.optional(
    v.strictObject({
      overlay: SubnetListSchema,
      service: SubnetListSchema,
      additional: SubnetListSchema,
    }),
    {},
  ),
  rpFilter: v.optional(v.picklist([0, 1, 2], "Expected 0 (off), 1 (strict) or 2 (loose)")),
  neighbours: v.optional(v.boolean(), false),
  macPrefix: v.optional(MacPrefixSchema),
});
export type RoutingPolicy = v.InferOutput<typeof RoutingPolicySchema>;
