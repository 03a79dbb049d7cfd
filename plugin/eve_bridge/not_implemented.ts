/**
 * Placeholder for interfaces other than eth0 until the zedrouter flow (pod_interface.ts:
 * ConnectPodAtL2, DHCP in the pod, ConnectPodAtL3) is wired into plugin.ts.
 */
import { CniError, EveErrorCode } from "../cni/mod.ts";
import type { EveContext, InterfaceHandler } from "./handler.ts";

function notImplemented(ctx: EveContext): Promise<never> {
  return Promise.reject(
    new CniError(
      EveErrorCode.NotImplemented,
      `Interface "${ctx.ifname}" needs the zedrouter path, which is not implemented yet`,
      "Only eth0 (delegated to the bridge plugin) is supported by this build",
    ),
  );
}

export const zedrouterNotImplementedHandler: InterfaceHandler = {
  name: "zedrouter-not-implemented",
  add: notImplemented,
  // DEL must succeed for interfaces we could never have created.
  del: () => Promise.resolve(),
  check: notImplemented,
};
