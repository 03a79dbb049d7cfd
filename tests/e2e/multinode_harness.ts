/**
 * Two EVE nodes in one sandbox: namespaces `node-a` and `node-b` joined by a veth underlay
 * (`ul0`, 192.168.240.0/24), a built fake-zedrouter in each serving the same switch NI whose
 * VXLAN uplink joins the two bridges into one segment, and a DHCP server (dnsmasq in its own
 * namespace) on node B's bridge. `multiNodeTest` builds it all and always tears it down.
 */
import { startUpstreamDnsmasq } from "../../scripts/sandbox/upstream_dnsmasq.ts";
import {
  addAddr,
  createVethPair,
  type Daemon,
  setLinkUp,
  setMaster,
  stopPid,
  systemRunner as run,
} from "../../netns/mod.ts";
import { type Sandbox, type SandboxNetns, withSandbox } from "../../scripts/sandbox/sandbox.ts";
import { type E2eNode, startNode, type ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { stopStrayDhcpClients } from "../../scripts/sandbox/leaks.ts";
import type { E2ePod } from "../../scripts/sandbox/pod.ts";
import { e2eSkipReason } from "./harness.ts";
import { etcdSkipReason, type TestEtcd, withEtcd } from "../etcd_harness.ts";

export const SPAN = {
  name: "ni-span",
  uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a07",
  bridge: "bn7",
  vni: 4242,
  mtu: 1450,
} as const;
export const UNDERLAY = { a: "192.168.240.1", b: "192.168.240.2" } as const;
/** The segment's own network, served by the DHCP server on node B's bridge. */
export const SEGMENT = {
  server: "10.81.0.1",
  prefix: 24,
  web: "10.81.0.10",
  vm: "10.81.0.20",
} as const;
export const DHCP_PORT = "dhcpport";
export const VXLAN_DEVICE = `vxlan${SPAN.vni}`;

export const APP_WEB = { name: "web", uuid: "4d5e6f7a-8b9c-4d4e-8f5a-6b7c8d9eafb1" } as const;
export const APP_VM = { name: "edge_vm", uuid: "5e6f7a8b-9cad-4e5f-9a6b-7c8d9eafb0c2" } as const;

/** One node's config: the spanning NI (its VTEP `local`, the other node as peer) and its app. */
export function nodeConfig(
  node: "node-a" | "node-b",
  app: { name: string; uuid: string },
  extra: Record<string, unknown> = {},
): ZedrouterConfig & Record<string, unknown> {
  const [local, remote] = node === "node-a" ? [UNDERLAY.a, UNDERLAY.b] : [UNDERLAY.b, UNDERLAY.a];
  return {
    cluster: { node, ...extra },
    networkInstances: [{
      name: SPAN.name,
      uuid: SPAN.uuid,
      type: "switch",
      bridge: SPAN.bridge,
      mtu: SPAN.mtu,
      vxlan: { vni: SPAN.vni, local, remotes: [remote], underlay: "ul0" },
    }],
    // No MAC in the config: fake-zedrouter derives it from (app UUID, NI UUID, index).
    apps: [{ ...app, adapters: [{ networkInstance: SPAN.name }] }],
  };
}

export interface MultiNode {
  readonly sb: Sandbox;
  readonly a: E2eNode;
  readonly b: E2eNode;
  /** The DHCP server's lease file. */
  readonly leaseFile: string;
  /** Pods whose stray DHCP clients the teardown stops (by pid). */
  readonly pods: E2ePod[];
}

async function underlay(sb: Sandbox) {
  const a = await sb.netns("node-a");
  const b = await sb.netns("node-b");
  await createVethPair(run, a.ns, { hostName: "ul0", peerName: "ul0", peerNetns: b.ns });
  for (const [node, ip] of [[a, UNDERLAY.a], [b, UNDERLAY.b]] as const) {
    await addAddr(run, node.ns, "ul0", `${ip}/24`);
    await setLinkUp(run, node.ns, "ul0");
  }
  return { a, b };
}

/** dnsmasq in namespace "dhcp", its veth a port of node B's bridge, one reservation per MAC. */
async function dhcpServer(
  sb: Sandbox,
  b: E2eNode,
  hosts: { mac: string; ip: string }[],
): Promise<{ daemon: Daemon; leaseFile: string }> {
  const ns = await sb.netns("dhcp");
  await createVethPair(run, b.ns.ns, {
    hostName: DHCP_PORT,
    peerName: "dh0",
    peerNetns: ns.ns,
    mtu: SPAN.mtu,
  });
  await setMaster(run, b.ns.ns, DHCP_PORT, SPAN.bridge);
  await setLinkUp(run, b.ns.ns, DHCP_PORT);
  await addAddr(run, ns.ns, "dh0", `${SEGMENT.server}/${SEGMENT.prefix}`);
  await setLinkUp(run, ns.ns, "dh0");
  const { daemon, leaseFile } = await startUpstreamDnsmasq({
    netns: ns.ns,
    interface: "dh0",
    dir: sb.dir,
    name: "segment-dnsmasq",
    network: "10.81.0.0",
    hosts,
  });
  return { daemon, leaseFile };
}

/** The app's derived adapter MAC on the spanning NI, as the node's fake-zedrouter has it. */
export async function adapterMac(node: E2eNode, appUuid: string): Promise<string> {
  const { apps } = await node.inspect("Inspect.Apps");
  const mac = apps.find((x) => x.uuid === appUuid)?.adapters[0]?.mac;
  if (!mac) throw new Error(`No adapter of app ${appUuid} on this node`);
  return mac;
}

const SKIP = await e2eSkipReason();

/**
 * Deno.test on two fresh nodes. With `etcd`, a real etcd on node A (listening on its underlay
 * address, as a cluster's etcd runs on one of its nodes) is the nodes' shared store
 * (cluster.etcd in both configs), and the test gets it.
 */
export function multiNodeTest(
  name: string,
  options: { etcd?: boolean },
  fn: (m: MultiNode, etcd: TestEtcd | null) => Promise<void>,
): void {
  const reason = SKIP ?? (options.etcd ? etcdSkipReason() : undefined);
  Deno.test({
    name: reason ? `${name} (skipped: ${reason})` : name,
    ignore: reason !== undefined,
    fn: () => withSandbox((sb) => twoNodes(sb, options.etcd ?? false, fn)),
  });
}

async function twoNodes(
  sb: Sandbox,
  withStore: boolean,
  fn: (m: MultiNode, etcd: TestEtcd | null) => Promise<void>,
): Promise<void> {
  const ns = await underlay(sb);
  if (!withStore) return await onTwoNodes(sb, ns, null, fn);
  await withEtcd(
    (etcd) => onTwoNodes(sb, ns, etcd, fn),
    { netnsPath: ns.a.path, host: UNDERLAY.a },
  );
}

async function onTwoNodes(
  sb: Sandbox,
  ns: { a: SandboxNetns; b: SandboxNetns },
  etcd: TestEtcd | null,
  fn: (m: MultiNode, etcd: TestEtcd | null) => Promise<void>,
): Promise<void> {
  const cluster = etcd ? { etcd: { endpoints: [etcd.endpoint] } } : {};
  const pods: E2ePod[] = [];
  const nodes: E2eNode[] = [];
  let dhcp: Daemon | undefined;
  try {
    for (
      const [who, app, netns] of [["node-a", APP_WEB, ns.a], ["node-b", APP_VM, ns.b]] as const
    ) {
      const config = nodeConfig(who, app, cluster);
      nodes.push(await startNode(sb, { netns, dir: `${sb.dir}/${who}`, config }));
    }
    const [a, b] = nodes as [E2eNode, E2eNode];
    const server = await dhcpServer(sb, b, [
      { mac: await adapterMac(a, APP_WEB.uuid), ip: SEGMENT.web },
      { mac: await adapterMac(b, APP_VM.uuid), ip: SEGMENT.vm },
    ]);
    dhcp = server.daemon;
    await fn({ sb, a, b, leaseFile: server.leaseFile, pods }, etcd);
  } finally {
    for (const node of nodes) await stopStrayDhcpClients(node, pods);
    if (dhcp) {
      await stopPid(dhcp.pid, { graceMs: 2000 });
      await dhcp.exited;
    }
    for (const node of nodes) await node.stopZedrouter();
  }
}
