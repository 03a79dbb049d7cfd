/**
 * Where things live on an EVE node and how long a zedrouter call may take: the defaults every
 * program and the tests share, so a path or a timeout is written once.
 */

/** zedrouter's RPC socket. */
export const DEFAULT_ZEDROUTER_SOCKET = "/run/zedrouter/rpc.sock";
/**
 * Each zedrouter call has a deadline, like EVE's 10 s context: the client gets `context
 * deadline exceeded` instead of hanging behind a stuck command.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** eve-bridge's per-attachment state on the node (attachment_state.ts describes the files). */
export const DEFAULT_EVE_BRIDGE_STATE_DIR = "/run/eve-bridge";
/** eve-bridge's structured log; EVE collects /persist/kubelog. */
export const DEFAULT_EVE_BRIDGE_LOG_FILE = "/persist/kubelog/eve-bridge.log";
/** fake-zedrouter's state file, dnsmasq configs, leases and pid files. */
export const DEFAULT_FAKE_ZEDROUTER_STATE_DIR = "/run/fake-zedrouter";
/** k3s's default service range, which EVE-app pods reach via eth0. */
export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";
/** k3s's default pod range (cluster CIDR): a DHCP lease may not route into it. */
export const DEFAULT_CLUSTER_CIDR = "10.42.0.0/16";
/**
 * The CNI `dhcp` IPAM plugin's daemon, through which EVE's Go eve-bridge got netX addresses;
 * eve-bridge only asks it to release the leases of pods the Go plugin attached (the upgrade).
 */
export const DEFAULT_CNI_DHCP_SOCKET = "/run/cni/dhcp.sock";
