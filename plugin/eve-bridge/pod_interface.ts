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
 *      lease EVE's Go plugin took through the CNI dhcp daemon is released (go_plugin_lease.ts).
 * CHECK CheckPodConnection, then the lease: client alive, not expired, address on the pod
 *      interface (read from the kernel) and the one prevResult lists.
 * GC   detach every attachment in the state dir that is not in the valid list.
 */
import { errorMessage } from "../../core/mod.ts";
import type { ConnectPodAtL2Result } from "../../rpc/mod.ts";
import { getLink, type Runner, systemRunner } from "../../netns/mod.ts";
import { CniError, type CniResult, EveErrorCode, runAll, type Step, withUndo } from "../cni/mod.ts";
import {
  listStates,
  nowIso,
  readState,
  removeAttachmentFiles,
  withAttachmentLock,
  writeState,
} from "./attachment_state.ts";
import { attachmentPaths, type AttachmentState, STATE_VERSION } from "../../core/eve/mod.ts";
import { detach, releaseLease } from "./detach.ts";
import { goPluginLeaseOf } from "./go_plugin_lease.ts";
import { installHook, selfCommand } from "./dhcp_hook.ts";
import { requireDhcpTools } from "./dhcp_tools.ts";
import type { EveContext, EveGcContext, InterfaceHandler } from "./handler.ts";
import { l3Fields, mergeResults, podResult, resultInterfaces } from "./l3_request.ts";
import { addRoutingPolicy, checkRoutingPolicyConfig, hostEndOf } from "./routing_policy.ts";
import { startLeaseClient, waitFirstLease } from "./lease_keeper.ts";
import { resolveMac } from "./mac_source.ts";
import { podInterfaceOf, podOf } from "./pod_args.ts";
import { checkAttachment } from "./pod_check.ts";
import { isVmi } from "../../core/eve/mod.ts";
import { withZedrouter, ZedrouterSession } from "./zedrouter_session.ts";

export interface PodInterfaceDeps {
  /** Subprocess seam (ip, nsenter, cat). */
  readonly runner?: Runner;
  /** How the udhcpc hook calls eve-bridge back (see dhcp_hook.ts); undefined: no callback. */
  readonly selfCommand?: () => string[] | undefined;
}

const ms = (since: number): number => Math.round(performance.now() - since);

/**
 * The MAC of the pod end zedrouter created. A newer zedrouter picks the adapter by the NI
 * (`networkInstance`) and gives the pod end the adapter's MAC, which need not be the one
 * asked for (or none was), so its answer is the truth; a zedrouter that only echoes the
 * request's null MAC leaves the kernel to say.
 */
async function podEndMac(
  runner: Runner,
  l2: ConnectPodAtL2Result,
  netns: string,
  ifname: string,
): Promise<string> {
  const mac = l2.interfaces?.find((i) => i.name === ifname && i.netNsPath !== "")?.mac ??
    (await getLink(runner, { path: netns }, ifname))?.mac;
  if (!mac) {
    throw new CniError(
      EveErrorCode.ZedrouterFailed,
      `zedrouter reported no MAC for "${ifname}"`,
      "ConnectPodAtL2's answer lists no pod interface with a MAC; give the MAC in the pod's " +
        "network annotation",
    );
  }
  return mac;
}

export function createPodInterfaceHandler(deps: PodInterfaceDeps = {}): InterfaceHandler {
  const runner = deps.runner ?? systemRunner;
  const self = deps.selfCommand ?? (() => selfCommand());

  async function add(ctx: EveContext): Promise<CniResult> {
    const started = performance.now();
    checkRoutingPolicyConfig(ctx);
    const { mac: requestedMac, source: macSource } = resolveMac(ctx);
    const vmi = isVmi(ctx.args);
    const paths = attachmentPaths(ctx.config.stateDir, ctx.containerId, ctx.ifname);
    return await withAttachmentLock(paths, async () => {
      const existing = await readState(paths.state).catch(() => undefined);
      if (existing) {
        throw new CniError(
          EveErrorCode.InterfaceExists,
          `Interface "${ctx.ifname}" of container "${ctx.containerId}" is already attached`,
          `State "${paths.state}" exists; DEL the attachment before adding it again`,
        );
      }
      // A failure before the state file exists leaves nothing worth keeping: drop the lock
      // file (and the container dir) this ADD created.
      const forget = async (error: unknown): Promise<never> => {
        if (!(await readState(paths.state).catch(() => undefined))) {
          await removeAttachmentFiles(paths).catch(() => {});
        }
        throw error;
      };
      const session = await ZedrouterSession.open(ctx.config.zedrouterSocket, ctx.logger)
        .catch(forget);
      try {
        return await withUndo(ctx.logger, async (undo) => {
          const base = {
            podName: ctx.args.podName ?? "",
            podNamespace: ctx.args.podNamespace ?? "",
            netnsPath: ctx.netns,
          };
          const pod = podOf(base);
          const disconnectArgs = {
            pod,
            podInterface: podInterfaceOf(ctx.ifname, ctx.netns, null),
          };
          // Registered before the call: an L2 call that times out on our side may still be
          // carried out by zedrouter, and DisconnectPod of nothing is a success.
          undo.push("DisconnectPod", async () => {
            try {
              await session.call("RPCServer.DisconnectPod", disconnectArgs);
            } catch {
              // The connection may be what failed: one more try on a fresh one.
              await withZedrouter(
                ctx.config.zedrouterSocket,
                ctx.logger,
                (fresh) => fresh.call("RPCServer.DisconnectPod", disconnectArgs),
              );
            }
          });
          const l2Started = performance.now();
          const l2 = await session.call("RPCServer.ConnectPodAtL2", {
            pod,
            podInterface: podInterfaceOf(ctx.ifname, ctx.netns, requestedMac),
            ...(ctx.config.networkInstance !== undefined &&
              { networkInstance: ctx.config.networkInstance }),
          });
          const l2Ms = ms(l2Started);
          // Without a requested MAC, the adapter zedrouter picked (by NI) says which one.
          const mac = await podEndMac(runner, l2, ctx.netns, ctx.ifname);
          if (requestedMac !== null && mac !== requestedMac) {
            ctx.logger.warn("zedrouter gave {ifname} its adapter's MAC {mac}, not {requested}", {
              mac,
              requested: requestedMac,
            });
          }
          let state: AttachmentState = {
            version: STATE_VERSION,
            containerID: ctx.containerId,
            ifname: ctx.ifname,
            network: ctx.config.name,
            ...base,
            mac,
            vmi,
            useDHCP: l2.useDHCP,
            appUUID: l2.appUUID,
            zedrouterSocket: ctx.config.zedrouterSocket,
            logFile: ctx.config.logFile,
            phase: "adding",
            dhcp: null,
            lease: null,
            createdAt: nowIso(),
            updatedAt: nowIso(),
          };
          // Written before anything else is started, so a killed ADD can still be GC'd/DEL'd.
          await writeState(paths.state, state);
          undo.push("remove state", () => removeAttachmentFiles(paths));
          let dhcpMs = 0;
          let l3Ms = 0;
          if (l2.useDHCP && !vmi) {
            const dhcpStarted = performance.now();
            const hook = await installHook(ctx.config.stateDir, self());
            const client = await startLeaseClient(paths, ctx.netns, ctx.ifname, hook);
            state = { ...state, dhcp: client.record, updatedAt: nowIso() };
            // Registered before the state write: a client running is ours to stop even when
            // the write fails. Reads the state at unwind time: the lease, if one came, is in it.
            undo.push(
              "release DHCP lease",
              () => releaseLease(runner, state.dhcp, state, ctx.logger, { ensureAddress: true }),
            );
            await writeState(paths.state, state);
            const lease = await waitFirstLease(client, ctx.config.dhcp, ctx.ifname, ctx.logger);
            state = { ...state, lease, updatedAt: nowIso() };
            await writeState(paths.state, state);
            dhcpMs = ms(dhcpStarted);
            const l3Started = performance.now();
            await session.call("RPCServer.ConnectPodAtL3", {
              pod,
              podInterface: podInterfaceOf(ctx.ifname, ctx.netns, mac),
              ...l3Fields(lease),
            });
            l3Ms = ms(l3Started);
          }
          const hostEnd = hostEndOf(resultInterfaces(l2, ctx.ifname, ctx.netns));
          await addRoutingPolicy(runner, ctx, undo, { hostEnd, lease: state.lease });
          state = { ...state, phase: "ready", updatedAt: nowIso() };
          await writeState(paths.state, state);
          ctx.logger.info("Attached {ifname} to app {appUUID}", {
            appUUID: l2.appUUID,
            mac,
            macSource,
            useDHCP: l2.useDHCP,
            vmi,
            address: state.lease?.address ?? null,
            dhcpPid: state.dhcp?.pid ?? null,
            l2Ms,
            dhcpMs,
            l3Ms,
            totalMs: ms(started),
          });
          return mergeResults(ctx.prevResult, podResult(l2, ctx.ifname, ctx.netns, state.lease));
        }).catch(forget);
      } finally {
        await session.close();
      }
    });
  }

  async function del(ctx: EveContext): Promise<void> {
    const paths = attachmentPaths(ctx.config.stateDir, ctx.containerId, ctx.ifname);
    await withAttachmentLock(paths, async () => {
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
    });
  }

  async function gc(ctx: EveGcContext): Promise<void> {
    const keep = new Set(ctx.validAttachments.map((a) => `${a.containerID}\0${a.ifname}`));
    const { states, orphans, problems } = await listStates(ctx.config.stateDir);
    for (const problem of problems) ctx.logger.warn("GC skips {problem}", { problem });
    // The valid list names this network's attachments only: other networks' are not ours to judge.
    const stale: Step[] = states
      .filter(({ state }) => state.network === ctx.config.name)
      .filter(({ state }) => !keep.has(`${state.containerID}\0${state.ifname}`))
      .map(({ paths, state }) => ({
        label: `attachment ${state.containerID}/${state.ifname}`,
        run: () =>
          withAttachmentLock(paths, async () => {
            const current = await readState(paths.state);
            if (!current) return; // a DEL got there first
            await detach(runner, {
              paths,
              state: current,
              ifname: current.ifname,
              fallback: current,
              zedrouterSocket: current.zedrouterSocket,
            }, ctx.logger);
          }),
      }));
    // Files without a record: stop a client their pid file names, then remove them. An ADD
    // that is running holds the lock and has written its record by the time we get it.
    const leftovers: Step[] = orphans.map((paths) => ({
      label: `leftover files ${paths.state.replace(/\.json$/, ".*")}`,
      run: () =>
        withAttachmentLock(paths, async () => {
          if (await readState(paths.state).catch(() => true)) return;
          const ifname = paths.state.slice(paths.dir.length + 1, -".json".length);
          await detach(runner, {
            paths,
            state: undefined,
            ifname,
            fallback: { podName: "", podNamespace: "", netnsPath: "" },
            zedrouterSocket: ctx.config.zedrouterSocket,
          }, ctx.logger);
        }),
    }));
    ctx.logger.info("GC releases {count} stale attachment(s) and {leftovers} leftover(s)", {
      count: stale.length,
      leftovers: leftovers.length,
    });
    await runAll([...stale, ...leftovers], ctx.logger, {
      code: EveErrorCode.GcPartialFailure,
      msg: "GC could not release every stale eve-bridge attachment",
    });
  }

  return {
    name: "zedrouter",
    add,
    del,
    check: (ctx) => checkAttachment(runner, ctx),
    gc,
    status: (ctx) => requireDhcpTools(ctx.env),
  };
}

export const podInterfaceHandler: InterfaceHandler = createPodInterfaceHandler();
