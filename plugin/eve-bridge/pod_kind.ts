/** What kind of pod an invocation is for, from CNI_ARGS (EVE's eve-bridge rules). */
import type { CniArgs } from "../cni/mod.ts";

/** The namespace EVE deploys its own apps into. */
export const EVE_APP_NAMESPACE = "eve-kube-app";
/** KubeVirt's launcher pods carry the VMI; they stay L2-only (the guest runs DHCP). */
export const VMI_POD_PREFIX = "virt-launcher-";

export function isEveApp(args: CniArgs): boolean {
  return args.podNamespace === EVE_APP_NAMESPACE;
}

export function isVmi(args: CniArgs): boolean {
  return (args.podName ?? "").startsWith(VMI_POD_PREFIX);
}
