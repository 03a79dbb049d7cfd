/**
 * EVE's naming rules for app pods, exactly as zedrouter applies them: an app's kubeName is
 * its display name sanitised plus the first 5 characters of its UUID, and the pods
 * Kubernetes/KubeVirt create for it are named from that. Zedrouter finds the app of a pod
 * by prefix, so a pod name is never parsed beyond "does it start with this kubeName".
 */
import { isVmiPodName, VMI_POD_PREFIX } from "./pod_kind.ts";

/** The longest sanitised display name EVE keeps (Kubernetes name limits leave this much). */
const MAX_SANITISED = 26;

/**
 * EVE's `GetAppKubeName`: `_` to `-`, drop characters outside `[a-zA-Z0-9-.]`, collapse runs
 * of `.`/`-` to one `-`, lowercase, cut to 26 characters; then `-` and the first 5
 * characters of the app UUID.
 */
export function kubeName(displayName: string, appUuid: string): string {
  const sanitised = displayName
    .replaceAll("_", "-")
    .replace(/[^a-zA-Z0-9.-]/g, "")
    .replace(/[.-]+/g, "-")
    .toLowerCase()
    .slice(0, MAX_SANITISED);
  return `${sanitised}-${appUuid.slice(0, 5)}`;
}

/**
 * Whether `podName` belongs to the app with this kubeName: `<kubeName>-<5>`,
 * `<kubeName>-<purgeCounter>-<5>` or a VMI's `virt-launcher-<kubeName>-<5>`. Matching is by
 * prefix (with the `-` that follows), as in zedrouter.
 */
export function podBelongsTo(podName: string, appKubeName: string): boolean {
  const rest = isVmiPodName(podName) ? podName.slice(VMI_POD_PREFIX.length) : podName;
  return rest.startsWith(`${appKubeName}-`);
}

/**
 * The app of a pod among `apps`; the longest matching kubeName wins, so that an app whose
 * kubeName happens to prefix another's cannot steal its pods.
 */
export function findAppForPod<T extends { readonly kubeName: string }>(
  podName: string,
  apps: Iterable<T>,
): T | undefined {
  let best: T | undefined;
  for (const app of apps) {
    if (!podBelongsTo(podName, app.kubeName)) continue;
    if (!best || app.kubeName.length > best.kubeName.length) best = app;
  }
  return best;
}

/** The host end of an app's veth: `nbu<adapterIndex+1>x<appNum>`, as zedrouter names it. */
export function hostVethName(adapterIndex: number, appNum: number): string {
  return `nbu${adapterIndex + 1}x${appNum}`;
}

/**
 * Every name of the `nbu<N>x<M>` form belongs to app veths: connects create them, and a
 * start deletes any such veth the state does not record. Config names must stay clear.
 */
export function isHostVethName(name: string): boolean {
  return /^nbu\d+x\d+$/.test(name);
}
