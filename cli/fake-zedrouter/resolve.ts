/**
 * From an RPC's pod and interface to the app, adapter and network instance they mean,
 * failing with EVE's error strings verbatim (clients and operators grep for them).
 */
import type { Adapter, App, Config, NetworkInstance } from "./model.ts";
import { findAppForPod } from "../../core/eve/mod.ts";
import type { Attachment } from "./state.ts";

export const eveErrors = {
  noApp: (podName: string) => `failed to find app network status for pod ${podName}`,
  noAdapterForMac: (mac: string, appUuid: string) =>
    `failed to find adapter with MAC ${mac} for app ${appUuid}`,
  noNi: (ni: string) => `missing network instance status for ${ni}`,
  noAdapterForIf: (ifName: string, appUuid: string) =>
    `failed to find adapter with pod interface ${ifName} for app ${appUuid}`,
} as const;

/** An error whose message is meant for the RPC client as is. */
export class ZedrouterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZedrouterError";
  }
}

export function findApp(config: Config, podName: string): App | undefined {
  return findAppForPod(podName, config.apps);
}

export function requireApp(config: Config, podName: string): App {
  const app = findApp(config, podName);
  if (!app) throw new ZedrouterError(eveErrors.noApp(podName));
  return app;
}

export function findNi(config: Config, niUuid: string): NetworkInstance | undefined {
  return config.networkInstances.find((ni) => ni.uuid === niUuid);
}

export function requireNi(config: Config, niUuid: string): NetworkInstance {
  const ni = findNi(config, niUuid);
  if (!ni) throw new ZedrouterError(eveErrors.noNi(niUuid));
  return ni;
}

/** What a ConnectPodAtL2 says about the adapter it wants. */
export interface AdapterRequest {
  readonly podName: string;
  readonly podIfName: string;
  readonly mac: string | null;
  readonly networkInstance: string | undefined;
}

/**
 * The adapter ConnectPodAtL2 wires up. An older client names it by MAC only. A newer one
 * names the NI: its adapter on that NI, the MAC breaking a tie between several; without a
 * matching MAC, the adapter this pod interface already has (a repeated call), else the first
 * one no other interface of this pod holds, so a pod's second interface on one NI gets the
 * second adapter instead of taking the first one's veth. `attachments` are the app's.
 */
export function selectAdapter(
  config: Config,
  app: App,
  request: AdapterRequest,
  attachments: readonly Attachment[] = [],
): { adapter: Adapter; ni: NetworkInstance } {
  const { mac, networkInstance } = request;
  if (networkInstance === undefined) {
    const adapter = mac === null ? undefined : app.adapters.find((a) => a.mac === mac);
    if (!adapter) throw new ZedrouterError(eveErrors.noAdapterForMac(mac ?? "", app.uuid));
    return { adapter, ni: requireNi(config, adapter.niUuid) };
  }
  const ni = requireNi(config, networkInstance);
  const onNi = app.adapters.filter((a) => a.niUuid === networkInstance);
  if (onNi.length === 0) throw new ZedrouterError(eveErrors.noAdapterForMac(mac ?? "", app.uuid));
  const byMac = mac === null ? undefined : onNi.find((a) => a.mac === mac);
  if (byMac) return { adapter: byMac, ni };
  /** Adapter index to the interface of this pod holding it (another pod's hold is replaced). */
  const holder = new Map<number, string>();
  for (const a of attachments) {
    if (a.podName === request.podName) holder.set(a.adapterIndex, a.podIfName);
  }
  const adapter = onNi.find((a) => holder.get(a.index) === request.podIfName) ??
    onNi.find((a) => !holder.has(a.index));
  if (adapter) return { adapter, ni };
  const held = onNi.map((a) => holder.get(a.index)).join(", ");
  throw new ZedrouterError(
    `${eveErrors.noAdapterForIf(request.podIfName, app.uuid)}: every adapter of the app on ` +
      `network instance ${networkInstance} is attached to another pod interface (${held})`,
  );
}

/**
 * The attachment a later call (L3, Disconnect, Check) refers to: by pod interface name
 * within the app's attachments for this pod, narrowed by NI when the client sends one.
 */
export function findAttachment(
  attachments: readonly Attachment[],
  podName: string,
  podIfName: string,
  networkInstance: string | undefined,
): Attachment | undefined {
  return attachments.find((a) =>
    a.podName === podName && a.podIfName === podIfName &&
    (networkInstance === undefined || a.niUuid === networkInstance)
  );
}
