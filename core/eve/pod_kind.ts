/**
 * What kind of pod a CNI call or an attachment is for, by EVE's rules: the pod's namespace
 * says whether it is an EVE app, its name whether it is a KubeVirt VMI's launcher.
 */

/** The namespace EVE deploys its own apps into. */
export const EVE_APP_NAMESPACE = "eve-kube-app";
/**
 * KubeVirt names a VMI's launcher pod `virt-launcher-<vmi>-<5 random>`. Launcher pods carry
 * the VMI; they stay L2-only (the guest runs DHCP).
 */
export const VMI_POD_PREFIX = "virt-launcher-";

/** A pod as CNI_ARGS name it (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`); both may be absent. */
export interface PodIdentity {
  readonly podNamespace?: string | undefined;
  readonly podName?: string | undefined;
}

/** An EVE app's pod (eth0 without the default route, netX through zedrouter). */
export function isEveApp(pod: PodIdentity): boolean {
  return pod.podNamespace === EVE_APP_NAMESPACE;
}

/** The launcher pod of a KubeVirt VMI. */
export function isVmi(pod: PodIdentity): boolean {
  return isVmiPodName(pod.podName ?? "");
}

/** True for the name of a KubeVirt VMI's launcher pod. */
export function isVmiPodName(podName: string): boolean {
  return podName.startsWith(VMI_POD_PREFIX);
}

/** The Kubernetes network's interface in every pod (the node conflist's); any other is an NI's. */
export const ETH0 = "eth0";
