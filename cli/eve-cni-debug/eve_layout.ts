/**
 * EVE's own CNI layout, rendered from data (pure), as lf-edge/eve ships it
 * (pkg/kube/multus-daemonset.yaml, kube-init):
 * - Multus's config `00-multus.conf`: the cluster network `cbr0` as its one delegate, k3s's
 *   flannel plugin delegating eth0 to eve-bridge with `nodeIP "<ip>/32"`, then portmap. flannel
 *   gives the node's pod subnet (its subnet.env), so nothing is allocated here;
 * - ONE NetworkAttachmentDefinition, `network-instance-attachment`, for every network instance:
 *   config `{"cniVersion":"0.3.1","type":"eve-bridge"}`; Multus injects the name and passes the
 *   pod's MAC, from which zedrouter picks the network instance.
 * eve-bridge's own fields appear only when they differ from its defaults (a socket or log file
 * the operator named), so by default the files say what EVE's say.
 */
import * as v from "valibot";
import {
  DEFAULT_EVE_BRIDGE_LOG_FILE,
  DEFAULT_ZEDROUTER_SOCKET,
  EVE_APP_NAMESPACE,
  EVE_CLUSTER_NETWORK_NAME,
  EVE_CNI_VERSION,
  EVE_NAD_NAME,
  nodeIpCidr,
} from "../../core/eve/mod.ts";

/** Multus's own settings in EVE's config. */
export const EVE_MULTUS = {
  name: "multus-cni-network",
  logFile: "/persist/kubelog/multus.log",
  logLevel: "debug",
  binDir: "/var/lib/cni/bin",
  kubeconfig: "/var/lib/rancher/k3s/agent/etc/cni/net.d/multus.d/multus.kubeconfig",
} as const;

export interface EveLayoutOptions {
  /** The node's IP, bare or `<ip>/32`; written in EVE's form. */
  nodeIP: string;
  serviceCIDR?: string;
  zedrouterSocket?: string;
  logFile?: string;
  namespace?: string;
}

const optionalString = v.optional(v.string());

/** eve-bridge's fields a rendered EVE config may carry beyond EVE's own. */
const eveBridgeExtras = {
  zedrouterSocket: optionalString,
  logFile: optionalString,
};

export const ClusterNetworkSchema = v.strictObject({
  name: v.literal(EVE_CLUSTER_NETWORK_NAME),
  cniVersion: v.literal(EVE_CNI_VERSION),
  plugins: v.strictTuple([
    v.strictObject({
      type: v.literal("flannel"),
      delegate: v.strictObject({
        type: v.literal("eve-bridge"),
        nodeIP: v.string(),
        serviceCIDR: optionalString,
        ...eveBridgeExtras,
      }),
    }),
    v.strictObject({
      type: v.literal("portmap"),
      capabilities: v.strictObject({ portMappings: v.literal(true) }),
    }),
  ]),
});
export type ClusterNetwork = v.InferOutput<typeof ClusterNetworkSchema>;

/** Multus's config (`00-multus.conf`), strict: every part of it is ours to render. */
export const MultusConfigSchema = v.strictObject({
  cniVersion: v.literal(EVE_CNI_VERSION),
  name: v.literal(EVE_MULTUS.name),
  type: v.literal("multus"),
  capabilities: v.strictObject({ portMappings: v.literal(true) }),
  logFile: v.string(),
  logLevel: v.string(),
  binDir: v.string(),
  kubeconfig: v.string(),
  delegates: v.strictTuple([ClusterNetworkSchema]),
});
export type MultusConfig = v.InferOutput<typeof MultusConfigSchema>;

/** The NAD's spec.config, parsed: EVE's, plus eve-bridge's non-default fields. */
export const EveNadConfigSchema = v.strictObject({
  cniVersion: v.literal(EVE_CNI_VERSION),
  type: v.literal("eve-bridge"),
  ...eveBridgeExtras,
});

function isEveNadConfigJson(text: string): boolean {
  try {
    return v.is(EveNadConfigSchema, JSON.parse(text));
  } catch {
    return false;
  }
}

export const EveNadSchema = v.strictObject({
  apiVersion: v.literal("k8s.cni.cncf.io/v1"),
  kind: v.literal("NetworkAttachmentDefinition"),
  metadata: v.strictObject({ name: v.literal(EVE_NAD_NAME), namespace: v.string() }),
  spec: v.strictObject({
    config: v.pipe(
      v.string(),
      v.check(isEveNadConfigJson, 'spec.config must be {"cniVersion":"0.3.1","type":"eve-bridge"}'),
    ),
  }),
});
export type EveNad = v.InferOutput<typeof EveNadSchema>;

function extras(options: EveLayoutOptions): { zedrouterSocket?: string; logFile?: string } {
  return {
    ...(options.zedrouterSocket !== undefined &&
      options.zedrouterSocket !== DEFAULT_ZEDROUTER_SOCKET &&
      { zedrouterSocket: options.zedrouterSocket }),
    ...(options.logFile !== undefined && options.logFile !== DEFAULT_EVE_BRIDGE_LOG_FILE &&
      { logFile: options.logFile }),
  };
}

export function renderMultusConfig(options: EveLayoutOptions): MultusConfig {
  return {
    cniVersion: EVE_CNI_VERSION,
    name: EVE_MULTUS.name,
    type: "multus",
    capabilities: { portMappings: true },
    logFile: EVE_MULTUS.logFile,
    logLevel: EVE_MULTUS.logLevel,
    binDir: EVE_MULTUS.binDir,
    kubeconfig: EVE_MULTUS.kubeconfig,
    delegates: [{
      name: EVE_CLUSTER_NETWORK_NAME,
      cniVersion: EVE_CNI_VERSION,
      plugins: [
        {
          type: "flannel",
          delegate: {
            type: "eve-bridge",
            nodeIP: nodeIpCidr(options.nodeIP),
            ...(options.serviceCIDR !== undefined && { serviceCIDR: options.serviceCIDR }),
            ...extras(options),
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    }],
  };
}

export function renderEveNad(options: EveLayoutOptions): EveNad {
  return {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: { name: EVE_NAD_NAME, namespace: options.namespace ?? EVE_APP_NAMESPACE },
    spec: {
      config: JSON.stringify({
        cniVersion: EVE_CNI_VERSION,
        type: "eve-bridge",
        ...extras(options),
      }),
    },
  };
}
