/**
 * EVE's four `RPCServer.*` calls with the real zedrouter's semantics (see the reference
 * "What the real zedrouter does"): pod name to app by prefix, adapter by MAC or NI, a veth
 * per adapter named `nbu<index+1>x<appNum>`, L3 applied on request, idempotent disconnect
 * with the stale-pod guard, and a read-only check of the kernel state.
 */
import type {
  CheckPodConnectionArgs,
  CheckPodConnectionResult,
  ConnectPodAtL2Args,
  ConnectPodAtL2Result,
  ConnectPodAtL3Args,
  ConnectPodAtL3Result,
  DisconnectPodArgs,
  DisconnectPodResult,
} from "../../rpc/mod.ts";
import { ZERO_UUID } from "../../core/mod.ts";
import { bridgeMac, niOvsDb, ovsDbOf, requireBridgeAvailable } from "./network_instances.ts";
import { withDeadline } from "./deadline.ts";
import { claimAdapterMac, releaseAdapterMac } from "./mac_claims.ts";
import type { KeyedMutex } from "./keyed_mutex.ts";
import { type Config, type LocalNi, type NetworkInstance, niUsesDhcp } from "./model.ts";
import type { LeaseDrop } from "./lease_drop.ts";
import { hostVethName } from "../../core/eve/mod.ts";
import { existingPodNetns, podNetnsFromPath } from "./pod_netns.ts";
import {
  eveErrors,
  findApp,
  findAttachment,
  findNi,
  requireApp,
  selectAdapter,
  ZedrouterError,
} from "./resolve.ts";
import { type Attachment, attachmentKey, type StateStore } from "./state.ts";
import {
  applyL3,
  createPodVeth,
  readVethFacts,
  removePodVeth,
  type VethPlan,
  vethProblems,
} from "./veth.ts";
import { type Kernel } from "./kernel.ts";

/** What every call but ConnectPodAtL2 names: the pod, its interface, and maybe the NI. */
type PodInterfaceArgs = Pick<ConnectPodAtL3Args, "pod" | "podInterface" | "networkInstance">;

export interface ZedrouterCore {
  readonly kernel: Kernel;
  readonly state: StateStore;
  /** The config in force now (replaced on reload). */
  readonly config: () => Config;
  readonly locks: KeyedMutex;
  readonly callTimeoutMs: number;
  readonly log: (message: string) => void;
  /**
   * Drops what the local NI's dnsmasq still holds for an adapter's MAC (lease_drop.ts);
   * absent (unit tests without dnsmasq): DisconnectPod reports no lease outcome.
   */
  readonly dropLease?: ((ni: LocalNi, mac: string) => Promise<LeaseDrop>) | undefined;
}

export interface EveHandlers {
  connectPodAtL2(args: ConnectPodAtL2Args, signal?: AbortSignal): Promise<ConnectPodAtL2Result>;
  connectPodAtL3(args: ConnectPodAtL3Args, signal?: AbortSignal): Promise<ConnectPodAtL3Result>;
  disconnectPod(args: DisconnectPodArgs, signal?: AbortSignal): Promise<DisconnectPodResult>;
  checkPodConnection(
    args: CheckPodConnectionArgs,
    signal?: AbortSignal,
  ): Promise<CheckPodConnectionResult>;
}

export function makeEveHandlers(core: ZedrouterCore): EveHandlers {
  return {
    connectPodAtL2: (args, signal) => connectPodAtL2(core, args, signal),
    connectPodAtL3: (args, signal) => connectPodAtL3(core, args, signal),
    disconnectPod: (args, signal) => disconnectPod(core, args, signal),
    checkPodConnection: (args, signal) => checkPodConnection(core, args, signal),
  };
}

/** Deadline over the whole call (waiting for the app's lock included, as EVE's queue). */
function serialized<T>(
  core: ZedrouterCore,
  appUuid: string,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  return withDeadline(core.callTimeoutMs, () => core.locks.run(appUuid, fn), signal);
}

/** The app's attachment a call names (pod, pod interface, and the NI when given). */
function attachmentOf(
  core: ZedrouterCore,
  appUuid: string,
  args: PodInterfaceArgs,
): Attachment | undefined {
  return findAttachment(
    core.state.attachmentsOf(appUuid),
    args.pod.name,
    args.podInterface.name,
    args.networkInstance,
  );
}

/** The same, for the calls EVE fails when the pod interface was never connected. */
function requireAttachment(
  core: ZedrouterCore,
  appUuid: string,
  args: PodInterfaceArgs,
): Attachment {
  const attachment = attachmentOf(core, appUuid, args);
  if (!attachment) {
    throw new ZedrouterError(eveErrors.noAdapterForIf(args.podInterface.name, appUuid));
  }
  return attachment;
}

async function connectPodAtL2(
  core: ZedrouterCore,
  args: ConnectPodAtL2Args,
  signal: AbortSignal | undefined,
): Promise<ConnectPodAtL2Result> {
  const appUuid = requireApp(core.config(), args.pod.name).uuid;
  // PodInterface's namespace must be a valid one too (EVE checks it), though the pod end is
  // created in Pod's.
  if (args.podInterface.netNsPath !== args.pod.netNsPath && args.podInterface.netNsPath) {
    podNetnsFromPath(args.podInterface.netNsPath);
  }
  // The app's lock is taken before anything is awaited: calls for one app are served in the
  // order they arrived (as EVE's one event loop does), so a client's rollback DisconnectPod
  // sent right after a timed-out ConnectPodAtL2 runs after it, not before.
  return await serialized(core, appUuid, signal, () => connectAdapter(core, appUuid, args));
}

/** ConnectPodAtL2 under the app's lock: the adapter's veth, then the attachment recorded. */
async function connectAdapter(
  core: ZedrouterCore,
  appUuid: string,
  args: ConnectPodAtL2Args,
): Promise<ConnectPodAtL2Result> {
  // The config as it is now, under the lock: a reload swaps it first and then detaches, app
  // by app under this lock, what it removed, so a call queued behind that sees the new config
  // and one ahead of it has its veth removed by it.
  const config = core.config();
  const app = config.apps.find((candidate) => candidate.uuid === appUuid);
  if (!app) throw new ZedrouterError(eveErrors.noApp(args.pod.name));
  // Chosen under the lock: which adapters this pod's other interfaces hold must not change
  // between the choice and the veth (a pod's interfaces may be added at once).
  const { adapter, ni } = selectAdapter(config, app, {
    podName: args.pod.name,
    podIfName: args.podInterface.name,
    mac: args.podInterface.mac,
    networkInstance: args.networkInstance,
  }, core.state.attachmentsOf(app.uuid));
  const podNetns = await existingPodNetns(args.pod.netNsPath);
  await requireBridgeAvailable(core.kernel, ni);
  const hostIfName = hostVethName(adapter.index, await core.state.appNum(app.uuid));
  // One adapter, one veth: a previous pod's veth for this adapter (its DEL never came, or a
  // retried ADD) is replaced by createPodVeth.
  const previous = core.state.current.attachments[attachmentKey(app.uuid, adapter.index)];
  if (previous) core.log(`Replacing ${previous.hostIfName} of pod ${previous.podName}`);
  // With a shared store, the MAC must be ours across the cluster before it goes on the wire.
  const claim = {
    mac: adapter.mac,
    appUuid: app.uuid,
    adapterIndex: adapter.index,
    niUuid: ni.uuid,
  };
  await claimAdapterMac(config.cluster, claim);
  await createPodVeth(core.kernel, {
    hostIfName,
    bridge: ni.bridge,
    podNetns,
    podIfName: args.podInterface.name,
    mac: adapter.mac,
    mtu: ni.mtu,
    ovs: ovsPortPlan(ni, config, adapter.vlan),
    vlan: adapter.vlan,
  });
  const attachment: Attachment = {
    appUuid: app.uuid,
    adapterIndex: adapter.index,
    niUuid: ni.uuid,
    bridge: ni.bridge,
    podName: args.pod.name,
    podNetnsPath: args.pod.netNsPath,
    podIfName: args.podInterface.name,
    hostIfName,
    mac: adapter.mac,
    mtu: ni.mtu,
    usesDhcp: niUsesDhcp(ni),
    l3: null,
    connectedAt: new Date().toISOString(),
  };
  await core.state.update((draft) => {
    draft.boundPods[app.uuid] = { podName: args.pod.name, podNetnsPath: args.pod.netNsPath };
    draft.attachments[attachmentKey(app.uuid, adapter.index)] = attachment;
  });
  core.log(`Connected ${args.pod.name}/${args.podInterface.name} via ${hostIfName}`);
  return {
    appUUID: app.uuid,
    useDHCP: attachment.usesDhcp,
    interfaces: [
      // Set on the bridge when the NI came up (network_instances.ts), so no need to ask.
      { name: ni.bridge, mac: bridgeMac(ni, config.cluster), netNsPath: "" },
      { name: hostIfName, mac: null, netNsPath: "" },
      { name: args.podInterface.name, mac: adapter.mac, netNsPath: args.pod.netNsPath },
    ],
  };
}

/** How the host end joins an OVS-backed NI (null: a Linux bridge, by enslaving it). */
function ovsPortPlan(
  ni: NetworkInstance,
  config: Config,
  vlan: number | null,
): NonNullable<VethPlan["ovs"]> | null {
  const db = niOvsDb(ni, config.ovs);
  // An access port: its frames carry the adapter's VLAN inside the bridge, none on the wire.
  return db ? { db, vlan: { tag: vlan, trunks: [] } } : null;
}

async function connectPodAtL3(
  core: ZedrouterCore,
  args: ConnectPodAtL3Args,
  signal: AbortSignal | undefined,
): Promise<ConnectPodAtL3Result> {
  const app = requireApp(core.config(), args.pod.name);
  return await serialized(core, app.uuid, signal, async () => {
    const attachment = requireAttachment(core, app.uuid, args);
    const podNetns = await existingPodNetns(attachment.podNetnsPath);
    const ips = (args.ips ?? []).flatMap((ip) =>
      ip.address === null ? [] : [{ address: ip.address, gateway: ip.gateway }]
    );
    const routes = (args.routes ?? []).flatMap((route) =>
      route.dst === null ? [] : [{ dst: route.dst, gw: route.gw }]
    );
    try {
      await applyL3(core.kernel, podNetns, attachment.podIfName, { ips, routes });
    } finally {
      // The last of ADD's work in the pod (udhcpc holds its netns from here on).
      await core.kernel.leave?.(podNetns);
    }
    const dns = {
      nameservers: args.dns.nameservers ?? [],
      domain: args.dns.domain,
      search: args.dns.search ?? [],
      options: args.dns.options ?? [],
    };
    await core.state.update((draft) => {
      const current = draft.attachments[attachmentKey(app.uuid, attachment.adapterIndex)];
      if (current) current.l3 = { ips, routes, dns };
    });
    return { appUUID: app.uuid };
  });
}

async function disconnectPod(
  core: ZedrouterCore,
  args: DisconnectPodArgs,
  signal: AbortSignal | undefined,
): Promise<DisconnectPodResult> {
  const app = findApp(core.config(), args.pod.name);
  if (!app) return { appUUID: ZERO_UUID, usedDHCP: false };
  return await serialized(core, app.uuid, signal, async () => {
    const bound = core.state.current.boundPods[app.uuid];
    if (bound && bound.podName !== args.pod.name) {
      // An old pod's late DEL must not remove the new pod's interface. No lease to release
      // either: the new pod holds the same MAC and so the same lease.
      core.log(`Ignoring DisconnectPod of stale pod ${args.pod.name} (now ${bound.podName})`);
      return { appUUID: app.uuid, usedDHCP: false };
    }
    const attachment = attachmentOf(core, app.uuid, args);
    if (!attachment) return { appUUID: ZERO_UUID, usedDHCP: false };
    // Our ip inside the pod's netns ends, so a netns the runtime deleted can go.
    await core.kernel.leave?.(podNetnsFromPath(attachment.podNetnsPath));
    await removePodVeth(core.kernel, attachment.hostIfName, ovsDbOf(core.config()));
    await core.state.update((draft) => {
      delete draft.attachments[attachmentKey(app.uuid, attachment.adapterIndex)];
    });
    await releaseAdapterMac(core.config().cluster, attachment, core.log);
    const lease = await dropAdapterLease(core, attachment);
    core.log(`Disconnected ${args.pod.name}/${args.podInterface.name}`);
    return {
      appUUID: app.uuid,
      usedDHCP: attachment.usesDhcp,
      ...(lease !== undefined && { dhcpLease: lease }),
    };
  });
}

/**
 * After the veth is gone (no client left to renew), what the NI's own dnsmasq still holds for
 * the adapter's MAC is dropped: the lease of a pod whose udhcpc and netns were gone before its
 * DEL could release it. Undefined when no dnsmasq of ours serves the adapter.
 */
async function dropAdapterLease(
  core: ZedrouterCore,
  attachment: Attachment,
): Promise<LeaseDrop["outcome"] | undefined> {
  const ni = findNi(core.config(), attachment.niUuid);
  if (core.dropLease === undefined || ni?.type !== "local" || !attachment.usesDhcp) {
    return undefined;
  }
  const drop = await core.dropLease(ni, attachment.mac);
  if (drop.outcome === "released") {
    core.log(`Dropped the lease of ${attachment.mac} (${drop.ips.join(", ")}) on ${ni.name}`);
  } else if (drop.outcome === "kept") {
    core.log(`Cannot drop the lease of ${attachment.mac} on ${ni.name}: ${drop.reason}`);
  }
  return drop.outcome;
}

function checkPodConnection(
  core: ZedrouterCore,
  args: CheckPodConnectionArgs,
  signal: AbortSignal | undefined,
): Promise<CheckPodConnectionResult> {
  // Read-only: no lock needed, but the same deadline as every call.
  return withDeadline(core.callTimeoutMs, async () => {
    const config = core.config();
    const app = requireApp(config, args.pod.name);
    const attachment = requireAttachment(core, app.uuid, args);
    const ni = findNi(config, attachment.niUuid);
    if (!ni) throw new ZedrouterError(eveErrors.noNi(attachment.niUuid));
    const podNetns = podNetnsFromPath(attachment.podNetnsPath);
    const facts = await readVethFacts(
      core.kernel,
      attachment.hostIfName,
      attachment.podNetnsPath,
      podNetns,
      attachment.podIfName,
      niOvsDb(ni, config.ovs),
    );
    const problems = vethProblems(facts, {
      hostIfName: attachment.hostIfName,
      bridge: ni.bridge,
      podIfName: attachment.podIfName,
      mac: attachment.mac,
      mtu: attachment.mtu,
      addresses: attachment.l3?.ips.map((ip) => ip.address) ?? [],
      vlan: app.adapters.find((a) => a.index === attachment.adapterIndex)?.vlan ?? null,
    });
    if (problems.length > 0) {
      throw new ZedrouterError(
        `pod interface ${attachment.podIfName} of app ${app.uuid} is not fully ` +
          `configured: ${problems.join("; ")}`,
      );
    }
    return { appUUID: app.uuid, usesDHCP: niUsesDhcp(ni) };
  }, signal);
}
