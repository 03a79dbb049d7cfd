/**
 * What kind of pod a CNI call or an attachment is for, by EVE's rules (EVE's Go eve-bridge,
 * pkg/kube/eve-bridge/eve-bridge.go parseArgs): the pod's namespace says whether it is an EVE
 * app, except for CDI's upload pods, and its name whether it is a KubeVirt VMI's launcher.
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

/**
 * CDI (KubeVirt's Containerized Data Importer) names the pod that receives an uploaded disk
 * image `cdi-upload-<pvc name>`; EVE's PVCs are named `<...>-pvc-<...>`.
 */
export const CDI_UPLOAD_POD_PREFIX = "cdi-upload-";
export const CDI_UPLOAD_PVC_MARK = "-pvc-";

/**
 * A CDI upload pod in EVE's app namespace: a helper of the volume, not an app, so its eth0 is
 * an ordinary pod's (the default route via the Kubernetes network). The same test as EVE's Go
 * plugin: not a VMI, the name starts with `cdi-upload-` and contains `-pvc-`.
 */
export function isCdiUploadPod(pod: PodIdentity): boolean {
  const name = pod.podName ?? "";
  return !isVmiPodName(name) && name.startsWith(CDI_UPLOAD_POD_PREFIX) &&
    name.includes(CDI_UPLOAD_PVC_MARK);
}

/**
 * An EVE app's pod (eth0 without the default route, netX through zedrouter): any pod in EVE's
 * app namespace but a CDI upload pod. Pods of other namespaces (kube-system...) are not.
 */
export function isEveApp(pod: PodIdentity): boolean {
  return pod.podNamespace === EVE_APP_NAMESPACE && !isCdiUploadPod(pod);
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
