/**
 * The read-only `Inspect.*` methods eve-cni-debug calls: what fake-zedrouter was told
 * (config, state) next to what the kernel and dnsmasq show now.
 */
import type {
  Apps,
  Attachments,
  Health,
  Leases,
  NetworkInstances,
  ServerConfig,
} from "../../rpc/mod.ts";
import { netnsInode, readDnsmasqLeases } from "../../netns/mod.ts";
import type { DnsmasqSupervisor } from "./dnsmasq_supervisor.ts";
import { dnsmasqPaths } from "./dnsmasq_config.ts";
import type { ZedrouterCore } from "./eve_handlers.ts";
import { rangeText, subnetText } from "./ipv4.ts";
import { type App, type Config, type NetworkInstance, niUsesDhcp } from "./model.ts";
import { hostVethName } from "../../core/eve/mod.ts";
import { podNetnsFromPath } from "./pod_netns.ts";
import { findNi } from "./resolve.ts";
import { type Attachment, attachmentKey, type State } from "./state.ts";
import { readVethFacts, vethProblems } from "./veth.ts";
import { bridgeFacts, niOvsDb } from "./network_instances.ts";
import { vxlanFacts } from "./vxlan_uplink.ts";
import { PROGRAM, VERSION } from "./version.ts";

export interface InspectContext {
  readonly core: ZedrouterCore;
  readonly dnsmasq: DnsmasqSupervisor;
  readonly configPath: string | null;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly startedAt: number;
  readonly loadedAt: () => Date;
}

export interface InspectHandlers {
  health(): Promise<Health>;
  networkInstances(): Promise<NetworkInstances>;
  apps(): Promise<Apps>;
  attachments(): Promise<Attachments>;
  leases(): Promise<Leases>;
  config(): Promise<ServerConfig>;
}

export function makeInspectHandlers(ctx: InspectContext): InspectHandlers {
  return {
    health: () => health(ctx),
    networkInstances: () => networkInstances(ctx.core),
    apps: () => Promise.resolve(apps(ctx.core)),
    attachments: () => attachments(ctx.core),
    leases: () => leases(ctx),
    config: () => Promise.resolve(serverConfig(ctx)),
  };
}

async function health(ctx: InspectContext): Promise<Health> {
  return {
    version: `${PROGRAM} ${VERSION}`,
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    netnsInode: (await netnsInode("/proc/self/ns/net")) ?? null,
    memory: memoryNow(),
  };
}

function memoryNow(): NonNullable<Health["memory"]> {
  const m = Deno.memoryUsage();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
  };
}

async function networkInstances(core: ZedrouterCore): Promise<NetworkInstances> {
  const out = [];
  for (const ni of core.config().networkInstances) out.push(await networkInstanceInfo(core, ni));
  return { networkInstances: out };
}

/** One NI as configured, beside its bridge as the kernel shows it. */
async function networkInstanceInfo(
  core: ZedrouterCore,
  ni: NetworkInstance,
): Promise<NetworkInstances["networkInstances"][number]> {
  const bridge = await bridgeFacts(core.kernel, ni, core.config().ovs);
  const local = ni.type === "local";
  return {
    name: ni.name,
    uuid: ni.uuid,
    type: ni.type,
    bridge: ni.bridge,
    bridgeType: ni.bridgeType,
    mtu: ni.mtu,
    subnet: local ? subnetText(ni.subnet) : null,
    gateway: local ? ni.gateway : null,
    dhcpRange: local && ni.dhcpRange ? rangeText(ni.dhcpRange) : null,
    dns: local ? [...ni.dns] : [],
    defaultRoute: local ? ni.defaultRoute : false,
    port: local ? null : ni.port,
    usesDhcp: niUsesDhcp(ni),
    bridgePresent: bridge.present,
    bridgeMac: bridge.mac,
    bridgeUp: bridge.up,
    bridgePorts: bridge.ports,
    vxlan: ni.type === "switch" && ni.vxlan
      ? {
        ...ni.vxlan,
        remotes: [...ni.vxlan.remotes],
        ...(await vxlanFacts(core.kernel, ni.vxlan)),
      }
      : null,
  };
}

function apps(core: ZedrouterCore): Apps {
  const state = core.state.current;
  return { apps: core.config().apps.map((app) => appInfo(state, app)) };
}

/** One app with its adapters, the host veth each one has (or would get) and its bound pod. */
function appInfo(state: State, app: App): Apps["apps"][number] {
  const appNum = state.appNums[app.uuid] ?? null;
  return {
    name: app.name,
    uuid: app.uuid,
    kubeName: app.kubeName,
    appNum,
    boundPod: state.boundPods[app.uuid] ?? null,
    adapters: app.adapters.map((adapter) => ({
      index: adapter.index,
      networkInstance: adapter.niName,
      networkInstanceUuid: adapter.niUuid,
      mac: adapter.mac,
      ip: adapter.ip,
      hostIfName: appNum === null ? null : hostVethName(adapter.index, appNum),
      attached: state.attachments[attachmentKey(app.uuid, adapter.index)] !== undefined,
    })),
  };
}

async function attachments(core: ZedrouterCore): Promise<Attachments> {
  const out = [];
  for (const attachment of Object.values(core.state.current.attachments)) {
    out.push(await attachmentInfo(core, attachment));
  }
  return { attachments: out };
}

/** One attachment as recorded, beside its veth as the kernel shows it and what differs. */
async function attachmentInfo(
  core: ZedrouterCore,
  attachment: Attachment,
): Promise<Attachments["attachments"][number]> {
  const config = core.config();
  let podNetns = null;
  try {
    podNetns = podNetnsFromPath(attachment.podNetnsPath);
  } catch {
    // Recorded paths were checked at connect time; an odd one reads as "netns gone".
  }
  const ni = findNi(config, attachment.niUuid);
  const kernel = await readVethFacts(
    core.kernel,
    attachment.hostIfName,
    attachment.podNetnsPath,
    podNetns,
    attachment.podIfName,
    ni ? niOvsDb(ni, config.ovs) : null,
  );
  const problems = vethProblems(kernel, {
    hostIfName: attachment.hostIfName,
    bridge: ni?.bridge ?? attachment.bridge,
    podIfName: attachment.podIfName,
    mac: attachment.mac,
    mtu: attachment.mtu,
    addresses: attachment.l3?.ips.map((ip) => ip.address) ?? [],
  });
  if (!ni) problems.unshift(`network instance ${attachment.niUuid} is no longer configured`);
  return {
    appUuid: attachment.appUuid,
    appName: config.apps.find((app) => app.uuid === attachment.appUuid)?.name ?? null,
    adapterIndex: attachment.adapterIndex,
    networkInstanceUuid: attachment.niUuid,
    bridge: attachment.bridge,
    podName: attachment.podName,
    podNetnsPath: attachment.podNetnsPath,
    podIfName: attachment.podIfName,
    hostIfName: attachment.hostIfName,
    mac: attachment.mac,
    mtu: attachment.mtu,
    usesDhcp: attachment.usesDhcp,
    l3: attachment.l3,
    connectedAt: attachment.connectedAt,
    kernel,
    problems,
  };
}

async function leases(ctx: InspectContext): Promise<Leases> {
  const out = [];
  for (const ni of ctx.core.config().networkInstances) {
    if (ni.type !== "local") continue;
    const { leaseFile } = dnsmasqPaths(ctx.stateDir, ni);
    out.push({ name: ni.name, leaseFile, leases: await readDnsmasqLeases(leaseFile) });
  }
  return { networkInstances: out };
}

function serverConfig(ctx: InspectContext): ServerConfig {
  return {
    configPath: ctx.configPath,
    socketPath: ctx.socketPath,
    stateDir: ctx.stateDir,
    stateFile: ctx.core.state.path,
    callTimeoutMs: ctx.core.callTimeoutMs,
    loadedAt: ctx.loadedAt().toISOString(),
    dnsmasq: ctx.dnsmasq.status(),
    cluster: clusterInfo(ctx.core.config()),
  };
}

function clusterInfo(config: Config): ServerConfig["cluster"] {
  const c = config.cluster;
  if (!c) return null;
  return {
    node: c.node,
    etcd: c.etcd ? { endpoints: [...c.etcd.endpoints], prefix: c.etcd.prefix } : null,
  };
}
