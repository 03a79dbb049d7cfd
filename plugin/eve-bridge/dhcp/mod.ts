/**
 * eve-bridge's DHCP, in one place: the long-running udhcpc of each attachment (started in the
 * pod's netns, its first lease awaited, later leases read from its event file), the hook
 * udhcpc runs and how it calls eve-bridge back, the pod following a lease that moved, the
 * client's identity and stop, the tools it needs, and the lease EVE's Go plugin took through
 * the CNI dhcp daemon (the upgrade path). netns/udhcpc.ts and netns/dhcp_events.ts run
 * udhcpc and parse its events for it.
 */
export {
  type ClientEnd,
  clientOf,
  releaseAttachmentDhcp,
  stopAttachmentDhcp,
  stopDhcpClient,
  type StopOutcome,
} from "./client_process.ts";
export { type GoPluginLease, goPluginLeaseOf } from "./go_plugin_lease.ts";
export { DHCP_EVENT_COMMAND, installHook, selfCommand } from "./hook.ts";
export { latestLease, startLeaseClient, waitFirstLease } from "./lease_keeper.ts";
export { runDhcpEvent } from "./lease_follow.ts";
export { requireDhcpTools } from "./tools.ts";
