/**
 * eve-bridge's network configuration: the standard CNI fields, eve-bridge's own fields with
 * EVE's defaults (the original hard-coded them), and the `bridge` plugin's fields passed
 * through for eth0. Unknown keys are kept so eth0's delegation sees them.
 */
import * as v from "valibot";
import {
  absolutePathSchema,
  CidrSchema,
  PATH_MAX_BYTES,
  SUN_PATH_MAX_BYTES,
  UuidSchema,
} from "../../core/mod.ts";
import {
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_CNI_DHCP_SOCKET,
  DEFAULT_EVE_BRIDGE_LOG_FILE,
  DEFAULT_EVE_BRIDGE_STATE_DIR,
  DEFAULT_SERVICE_CIDR,
  DEFAULT_ZEDROUTER_SOCKET,
  NodeIpSchema,
} from "../../core/eve/mod.ts";
import { NET_CONF_ENTRIES } from "../cni/mod.ts";
import { RoutingPolicySchema } from "./routing_policy_schema.ts";

export const DEFAULT_DHCP_TIMEOUT_SECONDS = 10;
export const DEFAULT_DHCP_RETRIES = 3;
/** Ceilings: one attempt, the retries, and all attempts together (see DhcpConfigSchema). */
export const MAX_DHCP_TIMEOUT_SECONDS = 60;
export const MAX_DHCP_RETRIES = 10;
export const MAX_DHCP_WAIT_SECONDS = 120;
/**
 * The state dir holds `<containerID>/<ifname>.*` files: room is left for those two
 * components within PATH_MAX.
 */
export const STATE_DIR_MAX_BYTES = 1024;

const SocketPath = absolutePathSchema(SUN_PATH_MAX_BYTES, "socket path");
const between = (min: number, max: number, unit: string) =>
  v.pipe(
    v.number(`Expected a whole number of ${unit}`),
    v.integer(`Expected a whole number of ${unit}`),
    v.minValue(min, (issue) => `Expected at least ${min} ${unit}, got ${issue.input}`),
    v.maxValue(max, (issue) => `Expected at most ${max} ${unit}, got ${issue.input}`),
  );

/**
 * The first lease's bounds. A kubelet gives up on a sandbox after its runtime request
 * timeout (2 minutes by default), so an ADD that could wait longer would only be retried
 * over a half-made attachment: all attempts together stay within MAX_DHCP_WAIT_SECONDS.
 */
export const DhcpConfigSchema = v.pipe(
  v.strictObject({
    timeoutSeconds: v.optional(
      between(1, MAX_DHCP_TIMEOUT_SECONDS, "seconds"),
      DEFAULT_DHCP_TIMEOUT_SECONDS,
    ),
    retries: v.optional(between(0, MAX_DHCP_RETRIES, "retries"), DEFAULT_DHCP_RETRIES),
    /** Accept a link-local (169.254/16) lease; refused by default (lease_policy.ts). */
    allowLinkLocal: v.optional(v.boolean()),
  }),
  v.check(
    (d) => d.timeoutSeconds * (d.retries + 1) <= MAX_DHCP_WAIT_SECONDS,
    (issue) => {
      const d = issue.input as { timeoutSeconds: number; retries: number };
      return `timeoutSeconds ${d.timeoutSeconds} x (retries ${d.retries} + 1) waits up to ` +
        `${d.timeoutSeconds * (d.retries + 1)} s for the first lease, over ` +
        `${MAX_DHCP_WAIT_SECONDS} s (a kubelet gives up on the sandbox by then); lower either`;
    },
  ),
);
export type DhcpConfig = v.InferOutput<typeof DhcpConfigSchema>;

export const EveBridgeConfigSchema = v.looseObject({
  ...NET_CONF_ENTRIES,
  /** zedrouter's RPC socket. */
  zedrouterSocket: v.optional(SocketPath, DEFAULT_ZEDROUTER_SOCKET),
  /**
   * The node's IP, as EVE writes it (`"<ip>/32"`, IPv6 `/128`) or bare; EVE-app pods get a
   * host route to it on eth0 (required for them). Parsed to the bare address.
   */
  nodeIP: v.optional(NodeIpSchema),
  /** Kubernetes service CIDR; EVE-app pods route it via eth0. */
  serviceCIDR: v.optional(CidrSchema, DEFAULT_SERVICE_CIDR),
  /** The cluster's pod range: like serviceCIDR, a DHCP lease may not route into it. */
  clusterCIDR: v.optional(CidrSchema, DEFAULT_CLUSTER_CIDR),
  /**
   * The network instance (UUID) this NAD attaches to. Sent to ConnectPodAtL2 as newer EVE
   * clients do, so zedrouter can pick the app adapter by its NI when the pod's annotation
   * carries no MAC (`eve-cni-debug render` writes it into every NAD).
   */
  networkInstance: v.optional(UuidSchema),
  logFile: v.optional(
    absolutePathSchema(PATH_MAX_BYTES, "log file path"),
    DEFAULT_EVE_BRIDGE_LOG_FILE,
  ),
  /** Where per-pod state (DHCP leases) lives; tmpfs so it goes away with a reboot. */
  stateDir: v.optional(
    absolutePathSchema(STATE_DIR_MAX_BYTES, "directory"),
    DEFAULT_EVE_BRIDGE_STATE_DIR,
  ),
  dhcp: v.optional(DhcpConfigSchema, {}),
  /** Opt-in policy routing of the pod interface (routing_policy_schema.ts). */
  routingPolicy: v.optional(RoutingPolicySchema),
  /**
   * The CNI dhcp daemon's socket. EVE's Go eve-bridge leased netX addresses through it; a DEL
   * of a pod the Go plugin attached (no state of ours) releases its lease there
   * (dhcp/go_plugin_lease.ts). A node-level setting: the same on every conflist.
   */
  dhcpDaemonSocket: v.optional(SocketPath, DEFAULT_CNI_DHCP_SOCKET),
  // The bridge plugin's fields, typed so a mistake fails here with the field's name.
  bridge: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(15))),
  isGateway: v.optional(v.boolean()),
  isDefaultGateway: v.optional(v.boolean()),
  forceAddress: v.optional(v.boolean()),
  ipMasq: v.optional(v.boolean()),
  // IPv4's minimum to the largest an interface takes (IP_MAX_MTU).
  mtu: v.optional(between(68, 65535, "bytes")),
  hairpinMode: v.optional(v.boolean()),
  promiscMode: v.optional(v.boolean()),
  vlan: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(4094))),
});
export type EveBridgeConfig = v.InferOutput<typeof EveBridgeConfigSchema>;
