/**
 * The shape of a fake-zedrouter config file (YAML or JSON) as a person writes it. Field
 * rules that need only one value live here; rules across values (unique names, addresses
 * inside subnets, collisions) are in `config.ts`, which turns this into the resolved model.
 */
import * as v from "valibot";
import { IfNameSchema, IpSchema, MacSchema, UuidSchema } from "../../core/mod.ts";
import { FaultRuleSchema } from "../../rpc/mod.ts";
import { EtcdEndpointSchema } from "../../store/mod.ts";
import { isHostVethName } from "../../core/eve/mod.ts";

/** A name people refer to from other entries: short, no spaces. */
const RefNameSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    'Expected a name of letters, digits, "_", "." or "-" (at most 63), such as "ni-local"',
  ),
);

const MtuSchema = v.pipe(
  v.number(),
  v.integer("The MTU must be a whole number"),
  v.minValue(576, "The MTU must be at least 576"),
  v.maxValue(9000, "The MTU must be at most 9000"),
);

/**
 * A bridge or port name. `nbu<N>x<M>` is refused: those are the app veths' names, so such a
 * bridge would collide with an app's veth and such a port be deleted as an orphan on start.
 */
const HostIfNameSchema = (example: string) =>
  v.pipe(
    IfNameSchema,
    v.check(
      (name) => !isHostVethName(name),
      (issue) =>
        `"${issue.input}" is reserved for app veths (nbu<N>x<M>); use another name, such as ` +
        `"${example}"`,
    ),
  );

/**
 * An adapter's MAC: exactly 6 bytes (MacSchema also takes the longer hardware addresses the
 * wire may carry, which a veth cannot have) and not all zero (the kernel refuses it as a
 * link address).
 */
const AdapterMacSchema = v.pipe(
  MacSchema,
  v.check(
    (mac) => mac.split(":").length === 6,
    (issue) => `"${issue.input}" is not 6 bytes; an adapter MAC looks like "02:16:3e:00:00:01"`,
  ),
  v.check(
    (mac) => mac !== "00:00:00:00:00:00",
    'The all-zero MAC is not a usable address; use one such as "02:16:3e:00:00:01" or omit it',
  ),
);

const Ipv4Schema = v.pipe(
  IpSchema,
  v.regex(/^\d+\.\d+\.\d+\.\d+$/, 'Expected an IPv4 address such as "10.11.12.1"'),
);

/** An 802.1Q VLAN id. */
const VlanSchema = v.pipe(
  v.number(),
  v.integer("A VLAN id is a whole number"),
  v.minValue(1, "A VLAN id is 1 to 4094"),
  v.maxValue(4094, "A VLAN id is 1 to 4094"),
);

/** What backs an NI: a Linux bridge (default) or an Open vSwitch bridge. */
const BridgeTypeSchema = v.optional(
  v.picklist(
    ["linux", "ovs"],
    'Expected "bridgeType" to be "linux" (a Linux bridge, the default) or "ovs" (Open vSwitch)',
  ),
  "linux",
);

export const LocalNiConfigSchema = v.strictObject({
  name: RefNameSchema,
  uuid: v.optional(UuidSchema),
  type: v.literal("local"),
  bridge: HostIfNameSchema("bn1"),
  bridgeType: BridgeTypeSchema,
  /** IPv4 subnet such as `10.11.12.0/24`. */
  subnet: v.string(),
  /** Put on the bridge; defaults to the first host address of the subnet. */
  gateway: v.optional(Ipv4Schema),
  /** Dynamic pool for clients without a reservation; absent = reservations only. */
  dhcpRange: v.optional(v.string()),
  /** DNS servers offered by DHCP; defaults to the gateway. */
  dns: v.optional(v.array(Ipv4Schema)),
  /** Offer a default route (router option + classless route): the NI has an uplink. */
  defaultRoute: v.optional(v.boolean(), false),
  mtu: v.optional(MtuSchema),
});
export type LocalNiConfig = v.InferOutput<typeof LocalNiConfigSchema>;

const Ipv4MulticastSchema = v.pipe(
  Ipv4Schema,
  v.check(
    (ip) => Number(ip.split(".")[0]) >= 224 && Number(ip.split(".")[0]) <= 239,
    (issue) =>
      `"${issue.input}" is not a multicast address; use one in 224.0.0.0/4 such as "239.1.1.1"`,
  ),
);

/**
 * A switch NI's VXLAN uplink: the NI's bridges on several nodes, each with this device as a
 * port, are one L2 segment. Flooded frames go to `remotes` (unicast, head-end replication) or
 * to a multicast `group` joined on `underlay`.
 */
export const VxlanConfigSchema = v.strictObject({
  /** The segment's VXLAN Network Identifier: the same on every node. */
  vni: v.pipe(
    v.number(),
    v.integer("A VNI is a whole number"),
    v.minValue(1, "A VNI is at least 1"),
    v.maxValue(16_777_215, "A VNI is at most 16777215 (24 bits)"),
  ),
  /** This node's underlay address (the VTEP). */
  local: Ipv4Schema,
  /** The other nodes' underlay addresses. */
  remotes: v.optional(v.array(Ipv4Schema)),
  group: v.optional(Ipv4MulticastSchema),
  /** The underlay interface; required with `group` (the group is joined there). */
  underlay: v.optional(HostIfNameSchema("eth0")),
  /** UDP port, the same on every node (default 4789, IANA's VXLAN port). */
  udpPort: v.optional(
    v.pipe(
      v.number(),
      v.integer("A UDP port is a whole number"),
      v.minValue(1, "A UDP port is 1 to 65535"),
      v.maxValue(65_535, "A UDP port is 1 to 65535"),
    ),
    4789,
  ),
  /** The VXLAN device's name (default `vxlan<vni>`). */
  device: v.optional(HostIfNameSchema("vxlan100")),
});
export type VxlanConfig = v.InferOutput<typeof VxlanConfigSchema>;

export const SwitchNiConfigSchema = v.strictObject({
  name: RefNameSchema,
  uuid: v.optional(UuidSchema),
  type: v.literal("switch"),
  bridge: HostIfNameSchema("bn2"),
  bridgeType: BridgeTypeSchema,
  /** Host interface enslaved to the bridge; absent = air-gapped (no DHCP for pods). */
  port: v.optional(HostIfNameSchema("eth1")),
  /** A VXLAN uplink instead of a port: the NI spans the nodes that share the VNI. */
  vxlan: v.optional(VxlanConfigSchema),
  /**
   * The VLAN of the NI's adapters (each may name its own): their pod ports are access ports
   * on it, the uplink port a trunk of every VLAN used. Absent: untagged, no VLANs.
   */
  vlan: v.optional(VlanSchema),
  mtu: v.optional(MtuSchema),
});
export type SwitchNiConfig = v.InferOutput<typeof SwitchNiConfigSchema>;

export const NiConfigSchema = v.variant(
  "type",
  [LocalNiConfigSchema, SwitchNiConfigSchema],
  'Expected "type" to be "local" or "switch"',
);
export type NiConfig = v.InferOutput<typeof NiConfigSchema>;

export const AdapterConfigSchema = v.strictObject({
  /** Name of the network instance this adapter connects to. */
  networkInstance: RefNameSchema,
  /** Absent: derived from (app UUID, NI UUID, adapter index). */
  mac: v.optional(AdapterMacSchema),
  /** Static address on a local NI; absent: chosen from the subnet, stable per adapter. */
  ip: v.optional(Ipv4Schema),
  /** On a switch NI: this adapter's VLAN (default the NI's `vlan`). */
  vlan: v.optional(VlanSchema),
});
export type AdapterConfig = v.InferOutput<typeof AdapterConfigSchema>;

export const AppConfigSchema = v.strictObject({
  /** Display name; the kubeName (and so the pod names) derive from it. */
  name: v.pipe(v.string(), v.minLength(1, "An app name must not be empty")),
  uuid: UuidSchema,
  adapters: v.nullish(v.array(AdapterConfigSchema), []),
});
export type AppConfig = v.InferOutput<typeof AppConfigSchema>;

/** This node in a cluster, and the store the nodes share (for cluster-wide MAC claims). */
export const ClusterConfigSchema = v.strictObject({
  /** This node's name: its claims in the store, and its bridges' MACs on a spanning NI. */
  node: v.pipe(
    v.string(),
    v.regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'Expected a node name of letters, digits, "_", "." or "-" (at most 63), such as "node-a"',
    ),
  ),
  etcd: v.optional(v.strictObject({
    endpoints: v.pipe(
      v.array(EtcdEndpointSchema),
      v.minLength(1, 'List at least one endpoint, such as "http://10.1.0.5:2379"'),
    ),
    /** Key prefix (default `/eve-cni/`), shared with eve-cni-debug render --etcd-prefix. */
    prefix: v.optional(
      v.pipe(v.string(), v.startsWith("/", "A prefix starts with /")),
      "/eve-cni/",
    ),
    /** Per request to etcd (default 3000 ms). */
    timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 3000),
  })),
});
export type ClusterConfig = v.InferOutput<typeof ClusterConfigSchema>;

/** Where fake-zedrouter finds Open vSwitch, for NIs with `bridgeType: ovs`. */
export const OvsConfigSchema = v.strictObject({
  /** ovsdb-server's unix socket (default Debian's `/run/openvswitch/db.sock`). */
  db: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\/[^\0\n]*$/, 'Expected an absolute path such as "/run/openvswitch/db.sock"'),
    ),
    "/run/openvswitch/db.sock",
  ),
  /**
   * `system`: the kernel's openvswitch module (a real node); `netdev`: OVS's userspace
   * datapath, for kernels without the module (this sandbox).
   */
  datapathType: v.optional(
    v.picklist(
      ["system", "netdev"],
      'Expected "datapathType" to be "system" (kernel datapath, the default) or "netdev" ' +
        "(userspace)",
    ),
    "system",
  ),
});

/** Lists may be absent or null (`apps:` with nothing under it): both mean empty. */
export const ConfigFileSchema = v.strictObject({
  networkInstances: v.nullish(v.array(NiConfigSchema), []),
  apps: v.nullish(v.array(AppConfigSchema), []),
  /** Fault rules in force from the start (rpc/control_contract.ts); replaced on reload. */
  faults: v.nullish(v.array(FaultRuleSchema), []),
  /** Absent: one node on its own. */
  cluster: v.optional(ClusterConfigSchema),
  /** Absent: the defaults (Debian's socket, kernel datapath). */
  ovs: v.optional(OvsConfigSchema, {}),
});
export type ConfigFile = v.InferOutput<typeof ConfigFileSchema>;
