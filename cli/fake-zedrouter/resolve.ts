/**
 * From an RPC's pod and interface to the app, adapter and network instance they mean,
 * failing with EVE's error strings verbatim (clients and operators grep for them).
 */
import type { Adapter, App, Config, NetworkInstance } from "./model.ts";
import { findAppForPod } from "./names.ts";
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

/**
 * The adapter ConnectPodAtL2 wires up: the one on `networkInstance` when a newer client
 * names it (the MAC breaks a tie between two adapters on one NI), else the one whose MAC
 * equals the pod interface's MAC.
 */
export function selectAdapter(
  config: Config,
  app: App,
  mac: string | null,
  networkInstance: string | undefined,
): { adapter: Adapter; ni: NetworkInstance } {
  let candidates: readonly Adapter[] = app.adapters;
  if (networkInstance !== undefined) {
    requireNi(config, networkInstance);
    candidates = app.adapters.filter((a) => a.niUuid === networkInstance);
    if (candidates.length > 1 && mac !== null) {
      candidates = candidates.filter((a) => a.mac === mac);
    }
  } else {
    candidates = mac === null ? [] : app.adapters.filter((a) => a.mac === mac);
  }
  const adapter = candidates[0];
  if (!adapter) throw new ZedrouterError(eveErrors.noAdapterForMac(mac ?? "", app.uuid));
  return { adapter, ni: requireNi(config, adapter.niUuid) };
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
