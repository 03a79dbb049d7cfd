/**
 * Every interface other than eth0: an EVE network instance reached through zedrouter.
 *
 * ADD  MAC (runtimeConfig > args > CNI_ARGS) -> dial zedrouter once -> ConnectPodAtL2 ->
 *      unless L2-only (air-gapped switch NI, or a VMI whose guest runs DHCP itself): a
 *      long-running udhcpc in the pod netns and its first lease -> ConnectPodAtL3 -> state
 *      file "ready". Any failure after L2 unwinds: lease released, client stopped, state
 *      removed, DisconnectPod.
 * DEL  release the lease while the interface still exists -> DisconnectPod -> remove state.
 *      Idempotent, and needs nothing from the pod netns (all of it is in the state file).
 *      zedrouter unreachable: the lease is released locally, then DEL fails with code 11 and
 *      KEEPS the state, so the runtime's retry (kubelet retries a failed teardown) still
 *      disconnects the veth; succeeding would leave the pod's veth on the NI bridge for good.
 *      Without state there is nothing we attached: zedrouter is asked best-effort only, and a
 *      lease EVE's Go plugin took through the CNI dhcp daemon is released (dhcp/go_plugin_lease.ts).
 * CHECK CheckPodConnection, then the lease: client alive, not expired, address on the pod
 *      interface (read from the kernel) and the one prevResult lists.
 * GC   detach every attachment in the state dir that is not in the valid list.
 *
 * ADD is pod_add.ts, CHECK pod_check.ts, GC pod_gc.ts; DEL is here.
 */
import { errorMessage } from "../../core/mod.ts";
import { attachmentPaths, type AttachmentState } from "../../core/eve/mod.ts";
import { libcRunner, type Runner } from "../../netns/mod.ts";
import { readState, withDelLock } from "./attachment_state.ts";
import { detach } from "./detach.ts";
import { goPluginLeaseOf, requireDhcpTools, selfCommand } from "./dhcp/mod.ts";
import type { EveContext, InterfaceHandler } from "./handler.ts";
import { addPodInterface } from "./pod_add.ts";
import { gcPodInterfaces } from "./pod_gc.ts";
import { checkAttachment } from "./pod_check.ts";

export interface PodInterfaceDeps {
  /** Subprocess seam (ip, nsenter, cat). */
  readonly runner?: Runner;
  /** How the udhcpc hook calls eve-bridge back (see dhcp/hook.ts); undefined: no callback. */
  readonly selfCommand?: () => string[] | undefined;
}

export function createPodInterfaceHandler(deps: PodInterfaceDeps = {}): InterfaceHandler {
  const runner = deps.runner ?? libcRunner;
  const self = deps.selfCommand ?? (() => selfCommand());
  return {
    name: "zedrouter",
    add: (ctx) => addPodInterface(ctx, { runner, selfCommand: self }),
    del: (ctx) => delPodInterface(runner, ctx),
    check: (ctx) => checkAttachment(runner, ctx),
    gc: (ctx) => gcPodInterfaces(runner, ctx),
    status: (ctx) => requireDhcpTools(ctx.env),
  };
}

/** DEL: detach under the lock; the state file says what there is to undo. */
async function delPodInterface(runner: Runner, ctx: EveContext): Promise<void> {
  const paths = attachmentPaths(ctx.config.stateDir, ctx.containerId, ctx.ifname);
  const warn = (message: string, error: unknown) =>
    ctx.logger.warn(message, { error: errorMessage(error) });
  await withDelLock(paths, async () => {
    let state: AttachmentState | undefined;
    try {
      state = await readState(paths.state);
    } catch (error) {
      ctx.logger.warn("Ignoring an unreadable state file on DEL: {error}", {
        error: errorMessage(error),
      });
    }
    await detach(runner, {
      paths,
      state,
      ifname: ctx.ifname,
      fallback: {
        podName: ctx.args.podName ?? "",
        podNamespace: ctx.args.podNamespace ?? "",
        netnsPath: ctx.netns,
      },
      zedrouterSocket: ctx.config.zedrouterSocket,
      goPluginLease: state === undefined ? await goPluginLeaseOf(ctx) : undefined,
    }, ctx.logger);
  }, warn);
}

export const podInterfaceHandler: InterfaceHandler = createPodInterfaceHandler();
