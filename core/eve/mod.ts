/**
 * core/eve/: EVE's rules, in one leaf that eve-bridge, fake-zedrouter, eve-cni-debug and the
 * tests import (it imports only core/): pod kinds, app and pod names, host-veth names, the
 * eve-bridge state file, and the node's default paths and timeouts.
 */
export {
  CDI_UPLOAD_POD_PREFIX,
  CDI_UPLOAD_PVC_MARK,
  ETH0,
  EVE_APP_NAMESPACE,
  isCdiUploadPod,
  isEveApp,
  isVmi,
  isVmiPodName,
  type PodIdentity,
  VMI_POD_PREFIX,
} from "./pod_kind.ts";
export {
  EVE_CLUSTER_NETWORK_NAME,
  EVE_CNI_VERSION,
  EVE_MULTUS_CONFIG_FILE,
  EVE_NAD_NAME,
} from "./cni_layout.ts";
export { isNodeIp, nodeIpAddress, nodeIpCidr, NodeIpSchema } from "./node_ip.ts";
export { findAppForPod, hostVethName, isHostVethName, kubeName, podBelongsTo } from "./names.ts";
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_CNI_DHCP_SOCKET,
  DEFAULT_EVE_BRIDGE_LOG_FILE,
  DEFAULT_EVE_BRIDGE_STATE_DIR,
  DEFAULT_FAKE_ZEDROUTER_STATE_DIR,
  DEFAULT_SERVICE_CIDR,
  DEFAULT_ZEDROUTER_SOCKET,
} from "./defaults.ts";
export { containerDirName, MAX_READABLE_CONTAINER_ID } from "./container_dir.ts";
export {
  ATTACHMENT_FILE_SUFFIXES,
  type AttachmentPaths,
  attachmentPaths,
  type AttachmentState,
  AttachmentStateSchema,
  type DhcpClientRecord,
  DhcpClientRecordSchema,
  type LeasePolicyRecord,
  LeasePolicyRecordSchema,
  type LeaseRecord,
  LeaseRecordSchema,
  type SalvagedState,
  salvageState,
  STATE_VERSION,
} from "./attachment_state.ts";
export {
  dhcpClientEnded,
  type DhcpClientIdentity,
  type DhcpClientVerdict,
  dhcpClientVerdict,
  findDhcpClients,
  type FoundDhcpClient,
  isOurDhcpClient,
  type ProcessFacts,
  readProcessFacts,
} from "./dhcp_client.ts";
export {
  describeRoutingRecord,
  type HijackRoute,
  HijackRouteSchema,
  hostPrefix,
  listRoutingRecords,
  type NeighbourEntry,
  NeighbourEntrySchema,
  readRoutingRecord,
  ROUTING_RECORD_SUFFIX,
  ROUTING_RECORD_VERSION,
  type RoutingApplied,
  RoutingAppliedSchema,
  type RoutingIntent,
  RoutingIntentSchema,
  type RoutingRecord,
  routingRecordPath,
  RoutingRecordSchema,
  type RoutingRule,
  type TableRoute,
} from "./routing_record.ts";
export { type RoutingFacts, routingProblems, staysInMain } from "./routing_problems.ts";
