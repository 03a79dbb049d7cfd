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
import { listBridgePorts, netnsInode, readDnsmasqLeases } from "../../netns/mod.ts";
import type { DnsmasqSupervisor } from "./dnsmasq_supervisor.ts";
import { dnsmasqPaths } from "./dnsmasq_config.ts";
import type { ZedrouterCore } from "./eve_handlers.ts";
import { rangeText, subnetText } from "./ipv4.ts";
import { niUsesDhcp } from "./model.ts";
import { hostVethName } from "../../core/eve/mod.ts";
import { podNetnsFromPath } from "./pod_netns.ts";
import { findNi } from "./resolve.ts";
import { attachmentKey } from "./state.ts";
import { readVethFacts, vethProblems } from "./veth.ts";
import { bridgeFacts } from "./network_instances.ts";
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
  const { core } = ctx;
  return {
    async health() {
      return {
        version: `${PROGRAM} ${VERSION}`,
        uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
        netnsInode: (await netnsInode("/proc/self/ns/net")) ?? null,
      };
    },

    async networkInstances() {
      const out = [];
      for (const ni of core.config().networkInstances) {
        const bridge = await bridgeFacts(core.kernel, ni);
        const ports = bridge.present
          ? (await listBridgePorts(core.kernel.runner, core.kernel.host, ni.bridge))
            .map((l) => l.name)
          : [];
        const local = ni.type === "local";
        out.push({
          name: ni.name,
          uuid: ni.uuid,
          type: ni.type,
          bridge: ni.bridge,
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
          bridgePorts: ports,
        });
      }
      return { networkInstances: out };
    },

    apps() {
      const state = core.state.current;
      const config = core.config();
      const apps = config.apps.map((app) => {
        const appNum = state.appNums[app.uuid] ?? null;
        return {
          name: app.name,
          uuid: app.uuid,
          kubeName: app.kubeName,
          appNum,
          boundPod: state.boundPods[app.uuid] ?? null,
          adapters: app.adapters.map((a) => ({
            index: a.index,
            networkInstance: a.niName,
            networkInstanceUuid: a.niUuid,
            mac: a.mac,
            ip: a.ip,
            hostIfName: appNum === null ? null : hostVethName(a.index, appNum),
            attached: state.attachments[attachmentKey(app.uuid, a.index)] !== undefined,
          })),
        };
      });
      return Promise.resolve({ apps });
    },

    async attachments() {
      const config = core.config();
      const out = [];
      for (const a of Object.values(core.state.current.attachments)) {
        let podNetns = null;
        try {
          podNetns = podNetnsFromPath(a.podNetnsPath);
        } catch {
          // Recorded paths were checked at connect time; an odd one reads as "netns gone".
        }
        const kernel = await readVethFacts(
          core.kernel,
          a.hostIfName,
          a.podNetnsPath,
          podNetns,
          a.podIfName,
        );
        const ni = findNi(config, a.niUuid);
        const problems = vethProblems(kernel, {
          hostIfName: a.hostIfName,
          bridge: ni?.bridge ?? a.bridge,
          podIfName: a.podIfName,
          mac: a.mac,
          mtu: a.mtu,
          addresses: a.l3?.ips.map((ip) => ip.address) ?? [],
        });
        if (!ni) problems.unshift(`network instance ${a.niUuid} is no longer configured`);
        out.push({
          appUuid: a.appUuid,
          appName: config.apps.find((app) => app.uuid === a.appUuid)?.name ?? null,
          adapterIndex: a.adapterIndex,
          networkInstanceUuid: a.niUuid,
          bridge: a.bridge,
          podName: a.podName,
          podNetnsPath: a.podNetnsPath,
          podIfName: a.podIfName,
          hostIfName: a.hostIfName,
          mac: a.mac,
          mtu: a.mtu,
          usesDhcp: a.usesDhcp,
          l3: a.l3,
          connectedAt: a.connectedAt,
          kernel,
          problems,
        });
      }
      return { attachments: out };
    },

    async leases() {
      const out = [];
      for (const ni of core.config().networkInstances) {
        if (ni.type !== "local") continue;
        const { leaseFile } = dnsmasqPaths(ctx.stateDir, ni);
        out.push({ name: ni.name, leaseFile, leases: await readDnsmasqLeases(leaseFile) });
      }
      return { networkInstances: out };
    },

    config() {
      return Promise.resolve({
        configPath: ctx.configPath,
        socketPath: ctx.socketPath,
        stateDir: ctx.stateDir,
        stateFile: core.state.path,
        callTimeoutMs: core.callTimeoutMs,
        loadedAt: ctx.loadedAt().toISOString(),
        dnsmasq: ctx.dnsmasq.status(),
      });
    },
  };
}
