/**
 * Attachments as EVE's Go eve-bridge made them before an in-place upgrade, made here with the
 * standard parts the Go plugin drives (facts: lf-edge/eve pkg/kube/eve-bridge/eve-bridge.go):
 * - eth0: flannel saved its delegate config; the Go plugin turned it into bridge's config
 *   (isDefaultGateway = !isEveApp, forceAddress, hairpinMode; for EVE apps ipam.routes gains
 *   the service CIDR and nodeIP verbatim) and ran bridge ADD (with host-local);
 * - netX: ConnectPodAtL2 from Go's net/rpc client (tests/go/rpcpeer), the CNI `dhcp` IPAM
 *   plugin's ADD against its daemon (the whole config, `ipam` = `{"type":"dhcp"}`), then
 *   ConnectPodAtL3 with what dhcp returned.
 * None of it leaves state of eve-bridge's own.
 */
import assert from "node:assert/strict";
import { isEveApp } from "../../core/eve/mod.ts";
import { type Daemon, spawnDaemon, systemRunner } from "../../netns/mod.ts";
import {
  ConnectPodAtL2ArgsType,
  ConnectPodAtL3ArgsType,
  encodeGo,
  type IpConfig,
  type Route,
} from "../../rpc/mod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { POD_NETWORK } from "../../scripts/sandbox/node.ts";
import { CNI_BIN } from "../../scripts/sandbox/paths.ts";
import { type E2ePod, multusArgs } from "../../scripts/sandbox/pod.ts";
import { runRpcPeer } from "../go/rpcpeer/peer.ts";
import { eventually } from "../poll.ts";
import { FLANNEL_ENV, type FlannelNetwork } from "./eve_layout_harness.ts";
import { EVE_CLUSTER_NETWORK_NAME } from "../../core/eve/mod.ts";

/** The Go plugin's hard-coded k3s service range. */
const GO_SERVICE_CIDR = "10.43.0.0/16";

export interface CniDhcpDaemon {
  readonly socket: string;
  readonly daemon: Daemon;
}

/**
 * The CNI dhcp daemon (`dhcp daemon -socketpath`) in the node namespace, on the test's own
 * socket; tracked by the sandbox, which stops it by pid.
 */
export async function startCniDhcpDaemon(node: E2eNode): Promise<CniDhcpDaemon> {
  const socket = `${node.dir}/cni-dhcp/dhcp.sock`;
  const daemon = spawnDaemon(
    ["nsenter", `--net=${node.ns.path}`, `${CNI_BIN}/dhcp`, "daemon", "-socketpath", socket],
    { stdoutPath: `${node.dir}/cni-dhcp.log`, stderrPath: `${node.dir}/cni-dhcp.log` },
  );
  node.sb.track(daemon);
  await eventually("the CNI dhcp daemon's socket", async () => {
    try {
      return (await Deno.stat(socket)).isSocket ? true : undefined;
    } catch {
      return undefined;
    }
  }, 10_000);
  return { socket, daemon };
}

/** flannel's delegate config for eve-bridge, as flannel saved it (see tests/go/flannel). */
export function flannelSavedConfig(
  node: E2eNode,
  network: FlannelNetwork,
): Record<string, unknown> {
  return {
    type: "eve-bridge",
    nodeIP: `${POD_NETWORK.nodeIP}/32`,
    logFile: node.logFile,
    stateDir: node.stateDir,
    zedrouterSocket: node.socket,
    name: EVE_CLUSTER_NETWORK_NAME,
    cniVersion: "0.3.1",
    ipMasq: !FLANNEL_ENV.ipMasq,
    mtu: FLANNEL_ENV.mtu,
    ipam: {
      dataDir: network.ipamDir,
      type: "host-local",
      ranges: [[{ subnet: POD_NETWORK.subnet }]],
      routes: [{ dst: FLANNEL_ENV.network }],
    },
  };
}

/** The Go plugin's prepareStdinForBridgeDelegate: the whole config, EVE's settings added. */
export function goBridgeConfig(
  config: Record<string, unknown>,
  eveApp: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...config,
    isDefaultGateway: !eveApp,
    forceAddress: true,
    hairpinMode: true,
  };
  if (eveApp) {
    const ipam = config.ipam as { routes: unknown[] };
    out.ipam = {
      ...ipam,
      routes: [...ipam.routes, { dst: GO_SERVICE_CIDR }, { dst: config.nodeIP }],
    };
  }
  return out;
}

/** Runs a Debian plugin directly in the node namespace, as the Go plugin's invoke did. */
async function runCniPlugin(
  node: E2eNode,
  plugin: string,
  pod: E2ePod,
  ifname: string,
  config: Record<string, unknown>,
  mac?: string,
): Promise<Record<string, unknown>> {
  const run = await systemRunner(["nsenter", `--net=${node.ns.path}`, `${CNI_BIN}/${plugin}`], {
    stdin: JSON.stringify(config),
    env: {
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: pod.containerId,
      CNI_NETNS: pod.netns.path,
      CNI_IFNAME: ifname,
      CNI_ARGS: multusArgs(pod, mac),
      CNI_PATH: CNI_BIN,
    },
  });
  assert.equal(run.code, 0, `${plugin} ADD: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** eth0 as the Go plugin attached it under flannel (and flannel's saved copy of the config). */
export async function goEth0Add(
  node: E2eNode,
  network: FlannelNetwork,
  pod: E2ePod,
): Promise<void> {
  const saved = flannelSavedConfig(node, network);
  const eveApp = isEveApp({ podNamespace: pod.namespace, podName: pod.name });
  await runCniPlugin(node, "bridge", pod, "eth0", goBridgeConfig(saved, eveApp));
  await Deno.mkdir(network.dataDir, { recursive: true });
  await Deno.writeTextFile(`${network.dataDir}/${pod.containerId}`, JSON.stringify(saved));
}

async function goRpc(node: E2eNode, method: string, params: unknown): Promise<unknown> {
  const run = await runRpcPeer([
    "client",
    "-socket",
    node.socket,
    "-method",
    method,
    "-params",
    JSON.stringify(params),
  ]);
  assert.equal(run.code, 0, `${method}: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout).result;
}

export interface GoNetX {
  /** The address the dhcp daemon leased. */
  readonly address: string;
}

function podArgs(pod: E2ePod, ifname: string, mac: string) {
  return {
    pod: { name: pod.name, netNsPath: pod.netns.path },
    podInterface: { name: ifname, mac, netNsPath: pod.netns.path },
  };
}

/** netX of a VMI as the Go plugin attached it: L2 only (the guest runs DHCP itself). */
export async function goNetXAddL2(
  node: E2eNode,
  pod: E2ePod,
  ifname: string,
  mac: string,
): Promise<void> {
  const args = encodeGo(ConnectPodAtL2ArgsType, podArgs(pod, ifname, mac));
  await goRpc(node, "RPCServer.ConnectPodAtL2", args);
}

/** netX as the Go plugin attached it: L2, a lease through the CNI dhcp daemon, L3. */
export async function goNetXAdd(
  node: E2eNode,
  pod: E2ePod,
  nadConfig: Record<string, unknown>,
  ifname: string,
  mac: string,
  dhcpSocket: string,
): Promise<GoNetX> {
  const common = podArgs(pod, ifname, mac);
  await goNetXAddL2(node, pod, ifname, mac);
  const dhcpConfig = { ...nadConfig, ipam: { type: "dhcp", daemonSocketPath: dhcpSocket } };
  const lease = await runCniPlugin(node, "dhcp", pod, ifname, dhcpConfig, mac) as {
    ips: { address: string; gateway?: string }[];
    routes?: { dst: string; gw?: string }[];
    dns?: { nameservers?: string[] };
  };
  const ips: IpConfig[] = lease.ips.map((ip) => ({
    address: ip.address,
    gateway: ip.gateway ?? null,
  }));
  const routes: Route[] = (lease.routes ?? []).map((r) => ({ dst: r.dst, gw: r.gw ?? null }));
  await goRpc(
    node,
    "RPCServer.ConnectPodAtL3",
    encodeGo(ConnectPodAtL3ArgsType, {
      ...common,
      ips,
      routes,
      dns: { nameservers: lease.dns?.nameservers ?? [], domain: "", search: null, options: null },
    }),
  );
  return { address: lease.ips[0]?.address ?? "" };
}
