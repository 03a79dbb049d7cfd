/**
 * The CNI layout of an EVE node (core/eve/cni_layout.ts), as the sandbox runs it through libcni:
 * - eth0: Multus runs the cluster network `cbr0`, whose first plugin is k3s's flannel (here the
 *   stand-in of tests/go/flannel, built at test time) delegating to eve-bridge with
 *   `nodeIP "<ip>/32"`, then portmap. EVE's conflist (multus-daemonset.yaml) with the sandbox's
 *   paths added: flannel's subnet file and dataDir, host-local's dataDir (flannel keeps its own
 *   `ipam` keys), eve-bridge's log, state dir and socket;
 * - netX: the one NAD `network-instance-attachment`, `{"cniVersion":"0.3.1","type":"eve-bridge"}`,
 *   made a conflist as Multus does (its name injected), the sandbox's paths added.
 */
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { POD_NETWORK } from "../../scripts/sandbox/node.ts";
import type { Attachment, E2ePod } from "../../scripts/sandbox/pod.ts";
import { CNI_BIN, DIST_BIN } from "../../scripts/sandbox/paths.ts";
import { systemRunner } from "../../netns/mod.ts";
import { flannelPluginDir } from "../go/flannel/flannel.ts";
import { EVE_CLUSTER_NETWORK_NAME, EVE_CNI_VERSION, EVE_NAD_NAME } from "../../core/eve/mod.ts";

/** /run/flannel/subnet.env as flannel writes it with k3s's defaults (vxlan, MTU 1450). */
export const FLANNEL_ENV = {
  /** FLANNEL_NETWORK: the cluster's pod network (k3s --cluster-cidr). */
  network: "10.42.0.0/16",
  /** FLANNEL_SUBNET: this node's share, as flannel writes it (the gateway address). */
  subnet: `${POD_NETWORK.gateway}/24`,
  mtu: 1450,
  /** flannel masquerades itself, so the delegate gets ipMasq false. */
  ipMasq: true,
} as const;

export interface FlannelNetwork {
  /** The conflist file. */
  readonly conflist: string;
  /** flannel's dataDir: one saved delegate config per container. */
  readonly dataDir: string;
  /** host-local's dataDir (`<dir>/<network name>/<ip>`). */
  readonly ipamDir: string;
  /** CNI_PATH: the flannel stand-in, then eve-bridge, then Debian's plugins. */
  readonly path: string;
}

export interface FlannelNetworkOptions {
  readonly cniVersion: "0.3.1" | "1.0.0";
  /** flannel's `delegate` (default EVE's: eve-bridge with the node IP as "<ip>/32"). */
  readonly delegate?: Record<string, unknown>;
  /** A name for the files when a test makes more than one network. */
  readonly tag?: string;
  /** host-local's dataDir (default the node's, which findLeaks checks). */
  readonly ipamDir?: string;
}

/** EVE's delegate: eve-bridge with the node IP as kube-init writes it, plus sandbox paths. */
export function eveBridgeDelegate(node: E2eNode): Record<string, unknown> {
  return { type: "eve-bridge", nodeIP: `${POD_NETWORK.nodeIP}/32`, ...sandboxFields(node) };
}

/** Writes subnet.env and the Multus-like conflist into the node's dir. */
export function flannelNetwork(
  node: E2eNode,
  options: FlannelNetworkOptions,
): Promise<FlannelNetwork> {
  const clusterNetwork = {
    name: EVE_CLUSTER_NETWORK_NAME,
    cniVersion: options.cniVersion,
    plugins: [
      { type: "flannel", delegate: options.delegate ?? eveBridgeDelegate(node) },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
  return sandboxedClusterNetwork(node, clusterNetwork, options);
}

/**
 * A cluster network conflist (as EVE's Multus config has it as its delegate) run in the
 * sandbox: subnet.env written, flannel's subnetFile, dataDir and host-local's dataDir added.
 */
export async function sandboxedClusterNetwork(
  node: E2eNode,
  clusterNetwork: { plugins: readonly Record<string, unknown>[] } & Record<string, unknown>,
  options: { tag?: string; ipamDir?: string } = {},
): Promise<FlannelNetwork> {
  const tag = options.tag ?? "cbr0";
  const dir = `${node.dir}/flannel-${tag}`;
  await Deno.mkdir(dir, { recursive: true });
  const subnetFile = `${dir}/subnet.env`;
  await Deno.writeTextFile(
    subnetFile,
    [
      `FLANNEL_NETWORK=${FLANNEL_ENV.network}`,
      `FLANNEL_SUBNET=${FLANNEL_ENV.subnet}`,
      `FLANNEL_MTU=${FLANNEL_ENV.mtu}`,
      `FLANNEL_IPMASQ=${FLANNEL_ENV.ipMasq}`,
      "",
    ].join("\n"),
  );
  const network: FlannelNetwork = {
    conflist: `${dir}/cbr0.conflist`,
    dataDir: `${dir}/data`,
    ipamDir: options.ipamDir ?? node.ipamDir,
    path: [await flannelPluginDir(), DIST_BIN, CNI_BIN].join(":"),
  };
  const plugins = clusterNetwork.plugins.map((plugin) =>
    plugin.type !== "flannel" ? plugin : {
      ...plugin,
      subnetFile,
      dataDir: network.dataDir,
      ipam: { dataDir: network.ipamDir },
    }
  );
  const conflist = { ...clusterNetwork, plugins };
  await Deno.writeTextFile(network.conflist, JSON.stringify(conflist, null, 2) + "\n");
  return network;
}

/** eth0 of a pod on the flannel network. */
export function eth0On(network: FlannelNetwork): Attachment {
  return { ifname: "eth0", conflist: network.conflist, path: network.path };
}

/** flannel's saved delegate config of a pod, parsed; undefined when there is none. */
export async function savedDelegateConfig(
  network: FlannelNetwork,
  pod: E2ePod,
): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${network.dataDir}/${pod.containerId}`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The addresses host-local holds on the network (its files named by IP). */
export async function hostLocalAddresses(network: FlannelNetwork): Promise<string[]> {
  const dir = `${network.ipamDir}/${EVE_CLUSTER_NETWORK_NAME}`;
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (/^\d+\.\d+\.\d+\.\d+$|:/.test(entry.name)) out.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort();
}

/**
 * Runs a plugin directly (not through libcni) inside the node namespace, as a caller that
 * delegates would: the CNI_* environment, the config on stdin.
 */
export async function runPlugin(
  node: E2eNode,
  network: FlannelNetwork,
  plugin: string,
  command: "ADD" | "CHECK" | "DEL",
  pod: E2ePod,
  config: Record<string, unknown>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return await systemRunner(["nsenter", `--net=${node.ns.path}`, plugin], {
    stdin: JSON.stringify(config),
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: pod.containerId,
      CNI_NETNS: pod.netns.path,
      CNI_IFNAME: "eth0",
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name}`,
      CNI_PATH: network.path,
    },
  });
}

/** eve-bridge's fields that keep a NAD's eve-bridge inside the sandbox. */
export function sandboxFields(node: E2eNode): Record<string, string> {
  return { logFile: node.logFile, stateDir: node.stateDir, zedrouterSocket: node.socket };
}

/**
 * EVE's NAD as Multus hands it to libcni: its config with the NAD's name, as a one-plugin
 * conflist (libcni's ConfListFromConf). `extra`: fields for the sandbox (paths, the dhcp
 * daemon's socket); `config`: the NAD's spec.config (default EVE's).
 */
export async function eveNadConflist(
  node: E2eNode,
  extra: Record<string, unknown> = {},
  config: Record<string, unknown> = { cniVersion: EVE_CNI_VERSION, type: "eve-bridge" },
): Promise<{ path: string; plugin: Record<string, unknown> }> {
  const plugin: Record<string, unknown> = {
    ...config,
    name: EVE_NAD_NAME,
    ...sandboxFields(node),
    ...extra,
  };
  const path = `${node.dir}/multus/${EVE_NAD_NAME}.conflist`;
  await Deno.mkdir(`${node.dir}/multus`, { recursive: true });
  const conflist = { cniVersion: plugin.cniVersion, name: EVE_NAD_NAME, plugins: [plugin] };
  await Deno.writeTextFile(path, JSON.stringify(conflist, null, 2) + "\n");
  return { path, plugin };
}
