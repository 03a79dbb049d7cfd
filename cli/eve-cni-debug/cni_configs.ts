/**
 * The per-NI layout of CNI configurations (`render --layout per-ni`; EVE's own layout is
 * eve_layout.ts), rendered from data (pure):
 * - the node's primary conflist for /etc/cni/net.d: eth0 via eve-bridge (which delegates to
 *   the standard bridge plugin with host-local IPAM over the node's pod subnet), then portmap;
 * - one Multus NetworkAttachmentDefinition per network instance: eve-bridge (which asks
 *   zedrouter for the veth and runs DHCP) chained before `tuning`.
 */
import * as v from "valibot";
import { stringify as toYaml } from "yaml";
import { EVE_APP_NAMESPACE, nodeIpCidr } from "../../core/eve/mod.ts";
import type { NodeSubnet } from "./node_subnets.ts";

export const CNI_VERSION = "1.0.0";
export const PRIMARY_NETWORK_NAME = "eve-bridge";
export const PRIMARY_CONFLIST_FILE = "10-eve-bridge.conflist";

export interface PrimaryOptions {
  subnet: NodeSubnet;
  bridge: string;
  /**
   * Required: eve-bridge's eth0 ADD for an EVE-app pod (namespace eve-kube-app) fails with
   * CNI error 7 (Missing "nodeIP") without it, so a conflist lacking it breaks every EVE app.
   * Bare or `<ip>/32`; written in EVE's form, `<ip>/32`.
   */
  nodeIP: string;
  serviceCIDR?: string;
  zedrouterSocket?: string;
  logFile?: string;
  mtu?: number;
}

const optionalString = v.optional(v.string());

/** The primary conflist as rendered (the --json of `render` carries it): strict, it is ours. */
export const PrimaryConflistSchema = v.strictObject({
  cniVersion: v.literal(CNI_VERSION),
  name: v.literal(PRIMARY_NETWORK_NAME),
  plugins: v.strictTuple([
    v.strictObject({
      type: v.literal("eve-bridge"),
      bridge: v.string(),
      isGateway: v.literal(true),
      ipMasq: v.literal(true),
      hairpinMode: v.literal(true),
      mtu: v.optional(v.number()),
      nodeIP: v.string(),
      serviceCIDR: optionalString,
      zedrouterSocket: optionalString,
      logFile: optionalString,
      ipam: v.strictObject({
        type: v.literal("host-local"),
        ranges: v.array(v.array(v.strictObject({
          subnet: v.string(),
          rangeStart: v.string(),
          rangeEnd: v.string(),
          gateway: v.string(),
        }))),
      }),
    }),
    v.strictObject({
      type: v.literal("portmap"),
      capabilities: v.strictObject({ portMappings: v.literal(true) }),
      snat: v.literal(true),
    }),
  ]),
});
export type PrimaryConflist = v.InferOutput<typeof PrimaryConflistSchema>;

/** The primary conflist: eve-bridge (eth0 -> bridge + host-local) then portmap. */
export function renderPrimaryConflist(options: PrimaryOptions): PrimaryConflist {
  return {
    cniVersion: CNI_VERSION,
    name: PRIMARY_NETWORK_NAME,
    plugins: [
      {
        type: "eve-bridge",
        bridge: options.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ...(options.mtu !== undefined && { mtu: options.mtu }),
        nodeIP: nodeIpCidr(options.nodeIP),
        ...(options.serviceCIDR !== undefined && { serviceCIDR: options.serviceCIDR }),
        ...(options.zedrouterSocket !== undefined && { zedrouterSocket: options.zedrouterSocket }),
        ...(options.logFile !== undefined && { logFile: options.logFile }),
        ipam: {
          type: "host-local",
          ranges: [[{
            subnet: options.subnet.subnet,
            rangeStart: options.subnet.rangeStart,
            rangeEnd: options.subnet.rangeEnd,
            gateway: options.subnet.gateway,
          }]],
          // No routes: bridge's isDefaultGateway gives ordinary pods their default route, and
          // EVE apps must not get one on eth0.
        },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

export interface NiRef {
  name: string;
  uuid: string;
}

/** A Kubernetes object name (DNS-1123 label) for an NI: lowercase, [a-z0-9-], <= 63 chars. */
export function nadName(ni: NiRef): string {
  const cleaned = ni.name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return (cleaned || `ni-${ni.uuid.slice(0, 8)}`).slice(0, 63).replace(/-+$/, "");
}

export interface NadOptions {
  namespace?: string;
  zedrouterSocket?: string;
  logFile?: string;
}

/** An NI's conflist (a NAD's spec.config, parsed). */
export const NiConflistSchema = v.strictObject({
  cniVersion: v.literal(CNI_VERSION),
  name: v.string(),
  plugins: v.strictTuple([
    v.strictObject({
      type: v.literal("eve-bridge"),
      networkInstance: v.string(),
      zedrouterSocket: optionalString,
      logFile: optionalString,
    }),
    v.strictObject({ type: v.literal("tuning") }),
  ]),
});
export type NiConflist = v.InferOutput<typeof NiConflistSchema>;

/** The NI's conflist: eve-bridge for the interface, then tuning (sysctls). */
export function renderNiConflist(ni: NiRef, options: NadOptions = {}): NiConflist {
  return {
    cniVersion: CNI_VERSION,
    name: nadName(ni),
    plugins: [
      {
        type: "eve-bridge",
        // Newer EVE clients send the NI to pick the adapter; kept for humans reading the NAD.
        networkInstance: ni.uuid,
        ...(options.zedrouterSocket !== undefined && { zedrouterSocket: options.zedrouterSocket }),
        ...(options.logFile !== undefined && { logFile: options.logFile }),
      },
      // tuning is the place for per-NI sysctls; no `mac` capability, so it never overrides
      // the adapter MAC that zedrouter gave the pod interface.
      { type: "tuning" },
    ],
  };
}

function isNiConflistJson(text: string): boolean {
  try {
    return v.is(NiConflistSchema, JSON.parse(text));
  } catch {
    return false;
  }
}

/** A NetworkAttachmentDefinition as rendered; spec.config holds an NiConflist as JSON text. */
export const NadSchema = v.strictObject({
  apiVersion: v.literal("k8s.cni.cncf.io/v1"),
  kind: v.literal("NetworkAttachmentDefinition"),
  metadata: v.strictObject({
    name: v.string(),
    namespace: v.string(),
    annotations: v.strictObject({ "eve.lfedge.org/network-instance": v.string() }),
  }),
  spec: v.strictObject({
    config: v.pipe(
      v.string(),
      v.check(isNiConflistJson, "spec.config must be an NI conflist (eve-bridge, tuning) as JSON"),
    ),
  }),
});
export type Nad = v.InferOutput<typeof NadSchema>;

/** The NetworkAttachmentDefinition object; spec.config is the conflist as a JSON string. */
export function renderNad(ni: NiRef, options: NadOptions = {}): Nad {
  return {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: {
      name: nadName(ni),
      namespace: options.namespace ?? EVE_APP_NAMESPACE,
      annotations: { "eve.lfedge.org/network-instance": ni.uuid },
    },
    spec: { config: JSON.stringify(renderNiConflist(ni, options)) },
  };
}

/** Several NADs as one multi-document YAML stream. */
export function nadsToYaml(nads: readonly object[]): string {
  return nads.map((n) => toYaml(n, { lineWidth: 0 })).join("---\n");
}
