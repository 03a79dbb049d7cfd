/**
 * Our own `Inspect.*` service: read-only methods that fake-zedrouter serves for
 * eve-cni-debug. EVE's zedrouter does not serve them; callers must treat
 * `rpc: can't find service Inspect.X` as "not a fake-zedrouter". Params and results are
 * plain JSON in both dialects (no Go peer calls them).
 */
import * as v from "valibot";
import { EVE_METHODS, inspectMethod } from "./contract.ts";
import { CONTROL_METHODS } from "./control_contract.ts";

export const NoParamsSchema = v.object({});

export const HealthSchema = v.object({
  /** Program name and version, e.g. `fake-zedrouter 0.1.0`. */
  version: v.string(),
  /** Seconds since the server started. */
  uptimeSeconds: v.number(),
  /** Network namespace inode the server runs in (to tell sandboxes apart). */
  netnsInode: v.nullable(v.number()),
  /**
   * Deno.memoryUsage() of the server, in bytes: whether a growing RSS is the JS heap (held
   * objects) or native memory (bench:soak prints both). Optional: older servers omit it.
   */
  memory: v.optional(v.object({
    rssBytes: v.number(),
    heapUsedBytes: v.number(),
    heapTotalBytes: v.number(),
    externalBytes: v.number(),
  })),
});
export type Health = v.InferOutput<typeof HealthSchema>;

/** A switch NI's VXLAN uplink as configured, beside what the kernel shows of its device. */
export const VxlanUplinkInfoSchema = v.object({
  device: v.string(),
  vni: v.number(),
  /** This node's underlay address (VTEP). */
  local: v.string(),
  /** Configured unicast peers; empty with a group. */
  remotes: v.array(v.string()),
  group: v.nullable(v.string()),
  underlay: v.nullable(v.string()),
  udpPort: v.number(),
  present: v.boolean(),
  up: v.boolean(),
  /** The bridge it is a port of, as the kernel says. */
  master: v.nullable(v.string()),
  mtu: v.nullable(v.number()),
  /** Where the kernel floods broadcast and unknown frames: the peers in its fdb (or the group). */
  floodTo: v.array(v.string()),
  /** Remote MACs learned behind the device, each with the VTEP it was seen behind. */
  learned: v.array(v.object({ mac: v.string(), vtep: v.string() })),
});
export type VxlanUplinkInfo = v.InferOutput<typeof VxlanUplinkInfoSchema>;

/** A network instance as configured, plus what the kernel shows of its bridge. */
export const NetworkInstanceInfoSchema = v.object({
  name: v.string(),
  uuid: v.string(),
  type: v.picklist(["local", "switch"]),
  bridge: v.string(),
  /** A Linux bridge or an Open vSwitch one (config `bridgeType`); older servers: linux. */
  bridgeType: v.optional(v.picklist(["linux", "ovs"]), "linux"),
  mtu: v.number(),
  /** Local NIs: `10.11.12.0/24`; null for switch NIs. */
  subnet: v.nullable(v.string()),
  gateway: v.nullable(v.string()),
  /** `10.11.12.100-10.11.12.200`, or null (reservations only / switch NI). */
  dhcpRange: v.nullable(v.string()),
  dns: v.array(v.string()),
  defaultRoute: v.boolean(),
  /** Switch NIs: the enslaved host interface; null = air-gapped (or a local NI). */
  port: v.nullable(v.string()),
  /** EVE's UseDHCP for pods on this NI: false only for an air-gapped switch NI. */
  usesDhcp: v.boolean(),
  bridgePresent: v.boolean(),
  bridgeMac: v.nullable(v.string()),
  bridgeUp: v.boolean(),
  /** Names of the bridge's ports, as the kernel lists them. */
  bridgePorts: v.array(v.string()),
  /** A switch NI's VXLAN uplink (it spans nodes); null otherwise (or an older server). */
  vxlan: v.optional(v.nullable(VxlanUplinkInfoSchema), null),
});
export type NetworkInstanceInfo = v.InferOutput<typeof NetworkInstanceInfoSchema>;
export const NetworkInstancesSchema = v.object({
  networkInstances: v.array(NetworkInstanceInfoSchema),
});
export type NetworkInstances = v.InferOutput<typeof NetworkInstancesSchema>;

export const BoundPodInfoSchema = v.object({ podName: v.string(), podNetnsPath: v.string() });

export const AppInfoSchema = v.object({
  name: v.string(),
  uuid: v.string(),
  /** Pods named `<kubeName>-...` or `virt-launcher-<kubeName>-...` belong to the app. */
  kubeName: v.string(),
  /** Names the host veths (`nbu<index+1>x<appNum>`); null until the app's first connect. */
  appNum: v.nullable(v.number()),
  /** The pod the app is bound to (last ConnectPodAtL2); null before any. */
  boundPod: v.nullable(BoundPodInfoSchema),
  adapters: v.array(v.object({
    index: v.number(),
    networkInstance: v.string(),
    networkInstanceUuid: v.string(),
    mac: v.string(),
    /** Reserved address on a local NI; null on a switch NI. */
    ip: v.nullable(v.string()),
    /** The host veth name this adapter gets; null until the app has a number. */
    hostIfName: v.nullable(v.string()),
    /** True when a pod interface is connected for this adapter now. */
    attached: v.boolean(),
  })),
});
export type AppInfo = v.InferOutput<typeof AppInfoSchema>;
export const AppsSchema = v.object({ apps: v.array(AppInfoSchema) });
export type Apps = v.InferOutput<typeof AppsSchema>;

export const AttachmentInfoSchema = v.object({
  appUuid: v.string(),
  /** Null when the app was removed from the config since the attachment was made. */
  appName: v.nullable(v.string()),
  adapterIndex: v.number(),
  networkInstanceUuid: v.string(),
  bridge: v.string(),
  podName: v.string(),
  podNetnsPath: v.string(),
  podIfName: v.string(),
  hostIfName: v.string(),
  mac: v.string(),
  mtu: v.number(),
  usesDhcp: v.boolean(),
  /** What ConnectPodAtL3 applied; null before it. */
  l3: v.nullable(v.object({
    ips: v.array(v.object({ address: v.string(), gateway: v.nullable(v.string()) })),
    routes: v.array(v.object({ dst: v.string(), gw: v.nullable(v.string()) })),
    dns: v.object({
      nameservers: v.array(v.string()),
      domain: v.string(),
      search: v.array(v.string()),
      options: v.array(v.string()),
    }),
  })),
  connectedAt: v.string(),
  /** Read from the kernel at the time of the call. */
  kernel: v.object({
    hostVeth: v.object({
      present: v.boolean(),
      /** The bridge holding it (an OVS port's from the OVS database). */
      master: v.nullable(v.string()),
      /** An OVS port's VLAN: access `tag`, or the `trunks` it carries; null on Linux bridges. */
      vlan: v.optional(
        v.nullable(v.object({ tag: v.nullable(v.number()), trunks: v.array(v.number()) })),
        null,
      ),
      adminUp: v.boolean(),
      operState: v.nullable(v.string()),
      mtu: v.nullable(v.number()),
    }),
    podEnd: v.object({
      netnsPresent: v.boolean(),
      present: v.boolean(),
      mac: v.nullable(v.string()),
      adminUp: v.boolean(),
      operState: v.nullable(v.string()),
      mtu: v.nullable(v.number()),
      addresses: v.array(v.string()),
    }),
  }),
  /** Why CheckPodConnection would fail now; empty when fully configured. */
  problems: v.array(v.string()),
});
export type AttachmentInfo = v.InferOutput<typeof AttachmentInfoSchema>;
export const AttachmentsSchema = v.object({ attachments: v.array(AttachmentInfoSchema) });
export type Attachments = v.InferOutput<typeof AttachmentsSchema>;

export const LeasesSchema = v.object({
  networkInstances: v.array(v.object({
    name: v.string(),
    leaseFile: v.string(),
    leases: v.array(v.object({
      /** Unix seconds; 0 = infinite. */
      expiry: v.number(),
      mac: v.string(),
      ip: v.string(),
      hostname: v.nullable(v.string()),
      clientId: v.nullable(v.string()),
    })),
  })),
});
export type Leases = v.InferOutput<typeof LeasesSchema>;

export const ServerConfigSchema = v.object({
  /** The config file in use; null for the built-in default. */
  configPath: v.nullable(v.string()),
  socketPath: v.string(),
  stateDir: v.string(),
  stateFile: v.string(),
  callTimeoutMs: v.number(),
  /** This node in a cluster and the store its MAC claims are kept in; null alone. */
  cluster: v.optional(
    v.nullable(v.object({
      node: v.string(),
      etcd: v.nullable(v.object({ endpoints: v.array(v.string()), prefix: v.string() })),
    })),
    null,
  ),
  /** When the config was last (re)loaded, ISO 8601. */
  loadedAt: v.string(),
  dnsmasq: v.array(v.object({
    networkInstance: v.string(),
    confPath: v.string(),
    leaseFile: v.string(),
    pidFile: v.string(),
    logFile: v.string(),
    pid: v.nullable(v.number()),
    running: v.boolean(),
    /** How often the watch loop restarted it after it died. */
    restarts: v.number(),
  })),
});
export type ServerConfig = v.InferOutput<typeof ServerConfigSchema>;

export const INSPECT_METHODS = {
  "Inspect.Health": inspectMethod(NoParamsSchema, HealthSchema, "Server version and uptime"),
  "Inspect.NetworkInstances": inspectMethod(
    NoParamsSchema,
    NetworkInstancesSchema,
    "Network instances as configured, with their bridges as the kernel shows them",
  ),
  "Inspect.Apps": inspectMethod(
    NoParamsSchema,
    AppsSchema,
    "Apps with their adapters (MAC, IP, host veth), kubeName and bound pod",
  ),
  "Inspect.Attachments": inspectMethod(
    NoParamsSchema,
    AttachmentsSchema,
    "Connected pod interfaces with kernel facts (veth ends, master, MAC, addresses)",
  ),
  "Inspect.Leases": inspectMethod(NoParamsSchema, LeasesSchema, "dnsmasq leases per local NI"),
  "Inspect.Config": inspectMethod(
    NoParamsSchema,
    ServerConfigSchema,
    "Paths in use: config, socket, state dir, dnsmasq files and pids",
  ),
} as const;

/** Every method the toolkit knows: EVE's and ours (control_contract.ts: journal and faults). */
export const ALL_METHODS = { ...EVE_METHODS, ...INSPECT_METHODS, ...CONTROL_METHODS } as const;
export type MethodName = keyof typeof ALL_METHODS;
