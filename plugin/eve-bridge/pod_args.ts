/** The `Pod` / `PodInterface` arguments every zedrouter call of a pod interface carries. */
import type { Pod, PodInterface } from "../../rpc/mod.ts";

export interface PodIdentity {
  readonly podName: string;
  /** "" when the runtime did not say (older EVE clients never sent it). */
  readonly podNamespace: string;
  readonly netnsPath: string;
}

export function podOf(pod: PodIdentity): Pod {
  return {
    name: pod.podName,
    netNsPath: pod.netnsPath,
    ...(pod.podNamespace !== "" && { namespace: pod.podNamespace }),
  };
}

/** DisconnectPod and CheckPodConnection send a null MAC, as EVE's eve-bridge does. */
export function podInterfaceOf(
  ifname: string,
  netnsPath: string,
  mac: string | null,
): PodInterface {
  return { name: ifname, mac, netNsPath: netnsPath };
}
