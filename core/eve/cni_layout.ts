/**
 * The CNI configuration an EVE node runs under (lf-edge/eve pkg/kube: multus-daemonset.yaml,
 * kube-init): Multus's cluster network is `cbr0`, k3s's flannel plugin delegating eth0 to
 * eve-bridge with the node's IP as `"<ip>/32"`, then portmap; every network instance is reached
 * through ONE NetworkAttachmentDefinition whose config is just eve-bridge, zedrouter picking
 * the network instance from the MAC Multus passes. Both at cniVersion 0.3.1 (Multus v3.9 runs
 * with --cni-version=0.3.1).
 */

/** The cniVersion of EVE's Multus config and NAD. */
export const EVE_CNI_VERSION = "0.3.1";
/** The name of Multus's cluster network (eth0) in EVE's config. */
export const EVE_CLUSTER_NETWORK_NAME = "cbr0";
/** The one NetworkAttachmentDefinition EVE writes for all network instances. */
export const EVE_NAD_NAME = "network-instance-attachment";
/** Where EVE's Multus config lives on the node (its CNI conf dir). */
export const EVE_MULTUS_CONFIG_FILE = "00-multus.conf";
