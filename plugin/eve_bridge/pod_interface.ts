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
 *      Without state there is nothing we attached: zedrouter is asked best-effort only.
 * CHECK CheckPodConnection, then the lease: client alive, not expired, address on the pod
 *      interface (read from the kernel) and the one prevResult lists.
 * GC   detach every attachment in the state dir that is not in the valid list.
 */
import { ZERO_UUID } from "../../core/mod.ts";
import { addAddr, getLink, listAddrs, type Runner, systemRunner } from "../../netns/mod.ts";
import type { Pod, PodInterface } from "../../rpc/mod.ts";
import {
  CniError,
  CniErrorCode,
  type CniLogger,
  type CniResult,
  EveErrorCode,
  runAll,
  type Step,
  withUndo,
} from "../cni/mod.ts";
import {
  type AttachmentPaths,
  attachmentPaths,
  type AttachmentState,
  listStates,
  nowIso,
  readState,
  removeAttachmentFiles,
  STATE_VERSION,
  withAttachmentLock,
  writeState,
} from "./attachment_state.ts";
import { installHook, selfCommand } from "./dhcp_hook.ts";
import { isOurDhcpClient, stopDhcpClient } from "./dhcp_process.ts";
import type { EveContext, EveGcContext, InterfaceHandler } from "./handler.ts";
import { l3Fields, mergeResults, podResult } from "./l3_request.ts";
import { latestLease, startLeaseClient, waitFirstLease } from "./lease_keeper.ts";
import { resolveMac } from "./mac_source.ts";
import { PodErrorCode } from "./pod_errors.ts";
import { isVmi } from "./pod_kind.ts";
import { withZedrouter, ZedrouterSession } from "./zedrouter_session.ts";

export interface PodInterfaceDeps {
  /** Subprocess seam (ip, nsenter, cat). */
  readonly runner?: Runner;
  /** How the udhcpc hook calls eve-bridge back (see dhcp_hook.ts); undefined: no callback. */
  readonly selfCommand?: () => string[] | undefined;
}

const ms = (since: number): number => Math.round(performance.now() - since);

function podOf(state: Pick<AttachmentState, "podName" | "podNamespace" | "netnsPath">): Pod {
  return {
    name: state.podName,
    netNsPath: state.netnsPath,
    ...(state.podNamespace !== "" && { namespace: state.podNamespace }),
  };
}

function podInterfaceOf(ifname: string, netnsPath: string, mac: string | null): PodInterface {
  return { name: ifname, mac, netNsPath: netnsPath };
}

/** What DEL and GC need to detach one attachment. */
interface DetachTarget {
  readonly paths: AttachmentPaths;
  readonly state: AttachmentState | undefined;
  readonly ifname: string;
  /** From CNI_ARGS / CNI_NETNS when there is no state. */
  readonly podName: string;
  readonly podNamespace: string;
  readonly netnsPath: string;
  readonly zedrouterSocket: string;
}

export function createPodInterfaceHandler(deps: PodInterfaceDeps = {}): InterfaceHandler {
  const runner = deps.runner ?? systemRunner;
  const self = deps.selfCommand ?? (() => selfCommand());

  async function releaseLease(
    state: AttachmentState,
    logger: CniLogger,
    options: { ensureAddress: boolean },
  ): Promise<string> {
    if (state.dhcp === null) return "none";
    if (options.ensureAddress && state.lease !== null) {
      // DHCPRELEASE is sent from the leased address: before L3 put it on the interface
      // (an ADD that failed at L3) we put it there ourselves, or the server keeps the lease.
      await addAddr(runner, { path: state.netnsPath }, state.ifname, state.lease.address, {
        ignoreExists: true,
      }).catch((error) =>
        logger.warn("Cannot add {address} for the release: {error}", {
          address: state.lease?.address,
          error: String(error),
        })
      );
    }
    const outcome = await stopDhcpClient(runner, state.dhcp);
    logger.info("DHCP client {pid} stopped: {outcome}", { pid: state.dhcp.pid, outcome });
    return outcome;
  }

  async function detach(target: DetachTarget, logger: CniLogger): Promise<void> {
    const started = performance.now();
    const { state } = target;
    let releaseOutcome = "none";
    if (state?.dhcp) {
      releaseOutcome = await releaseLease(state, logger, { ensureAddress: false });
      // The client is gone: a retried DEL must not look for it again.
      await writeState(target.paths.state, { ...state, dhcp: null, updatedAt: nowIso() });
    }
    const releaseMs = ms(started);
    const pod = state ? podOf(state) : {
      name: target.podName,
      netNsPath: target.netnsPath,
      ...(target.podNamespace !== "" && { namespace: target.podNamespace }),
    };
    const disconnectStarted = performance.now();
    let appUUID = ZERO_UUID;
    try {
      const reply = await withZedrouter(
        state?.zedrouterSocket ?? target.zedrouterSocket,
        logger,
        (session) =>
          session.call("RPCServer.DisconnectPod", {
            pod,
            podInterface: podInterfaceOf(target.ifname, pod.netNsPath, null),
          }),
      );
      appUUID = reply.appUUID;
    } catch (error) {
      if (state === undefined) {
        // Nothing of ours is recorded: this DEL follows an ADD that never attached.
        logger.warn("DisconnectPod without state failed, ignored: {error}", {
          error: error instanceof Error ? error.message : String(error),
        });
      } else {
        throw error; // state kept: the retry disconnects
      }
    }
    await removeAttachmentFiles(target.paths);
    logger.info("Detached {ifname}", {
      appUUID,
      releaseOutcome,
      releaseMs,
      disconnectMs: ms(disconnectStarted),
      totalMs: ms(started),
    });
  }

  async function add(ctx: EveContext): Promise<CniResult> {
    const started = performance.now();
    const { mac, source: macSource } = resolveMac(ctx);
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
      const session = await ZedrouterSession.open(ctx.config.zedrouterSocket, ctx.logger);
      try {
        return await withUndo(ctx.logger, async (undo) => {
          const base = {
            podName: ctx.args.podName ?? "",
            podNamespace: ctx.args.podNamespace ?? "",
            netnsPath: ctx.netns,
          };
          const pod = podOf(base);
          const l2Started = performance.now();
          const l2 = await session.call("RPCServer.ConnectPodAtL2", {
            pod,
            podInterface: podInterfaceOf(ctx.ifname, ctx.netns, mac),
          });
          const l2Ms = ms(l2Started);
          const disconnectArgs = {
            pod,
            podInterface: podInterfaceOf(ctx.ifname, ctx.netns, null),
          };
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
          let state: AttachmentState = {
            version: STATE_VERSION,
            containerID: ctx.containerId,
            ifname: ctx.ifname,
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
            await writeState(paths.state, state);
            undo.push("release DHCP lease", () =>
              // Reads the state at unwind time: the lease, if one came, is in it by then.
              releaseLease(state, ctx.logger, { ensureAddress: true }));
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
        });
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
          error: error instanceof Error ? error.message : String(error),
        });
      }
      await detach({
        paths,
        state,
        ifname: ctx.ifname,
        podName: ctx.args.podName ?? "",
        podNamespace: ctx.args.podNamespace ?? "",
        netnsPath: ctx.netns,
        zedrouterSocket: ctx.config.zedrouterSocket,
      }, ctx.logger);
    });
  }

  function checkFailed(msg: string, details = ""): CniError {
    return new CniError(PodErrorCode.CheckFailed, msg, details);
  }

  async function check(ctx: EveContext): Promise<void> {
    const paths = attachmentPaths(ctx.config.stateDir, ctx.containerId, ctx.ifname);
    await withAttachmentLock(paths, async () => {
      const state = await readState(paths.state);
      if (state === undefined || state.phase !== "ready") {
        throw new CniError(
          CniErrorCode.ContainerUnknown,
          `No attachment of "${ctx.ifname}" for container "${ctx.containerId}"`,
          `eve-bridge has no ready state at "${paths.state}"`,
        );
      }
      await withZedrouter(
        state.zedrouterSocket,
        ctx.logger,
        (session) =>
          session.call("RPCServer.CheckPodConnection", {
            pod: podOf(state),
            podInterface: podInterfaceOf(ctx.ifname, state.netnsPath, null),
          }),
      );
      const link = await getLink(runner, { path: ctx.netns }, ctx.ifname);
      if (!link) throw checkFailed(`Interface "${ctx.ifname}" is missing in "${ctx.netns}"`);
      if (link.mac !== state.mac) {
        throw checkFailed(
          `Interface "${ctx.ifname}" has MAC "${link.mac}", expected "${state.mac}"`,
        );
      }
      const prev = ctx.prevResult;
      const ourIndex = prev?.interfaces.findIndex((i) =>
        i.name === ctx.ifname && i.sandbox !== undefined
      ) ?? -1;
      if (prev && ourIndex < 0) {
        throw checkFailed(`prevResult lists no interface "${ctx.ifname}" with a sandbox`);
      }
      if (!state.useDHCP || state.vmi) return;
      if (state.dhcp === null || !(await isOurDhcpClient(runner, state.dhcp))) {
        throw checkFailed(
          `The DHCP client of "${ctx.ifname}" is not running`,
          `pid ${state.dhcp?.pid ?? "none"}; DEL and ADD the pod interface again`,
        );
      }
      const lease = (state.dhcp ? await latestLease(state.dhcp.eventFile) : undefined) ??
        state.lease;
      if (lease === null) throw checkFailed(`No DHCP lease recorded for "${ctx.ifname}"`);
      const expires = Date.parse(lease.obtainedAt) + lease.leaseSeconds * 1000;
      if (lease.leaseSeconds > 0 && expires < Date.now()) {
        throw checkFailed(
          `The DHCP lease ${lease.address} of "${ctx.ifname}" expired at ${
            new Date(expires).toISOString()
          }`,
        );
      }
      const present = (await listAddrs(runner, { path: ctx.netns }, ctx.ifname)).map((a) => a.cidr);
      if (!present.includes(lease.address)) {
        throw checkFailed(
          `Address ${lease.address} is not on "${ctx.ifname}"`,
          `The interface has ${present.length ? present.join(", ") : "no address"}`,
        );
      }
      if (prev) {
        const listed = prev.ips.filter((ip) => ip.interface === ourIndex).map((ip) => ip.address);
        if (!listed.includes(lease.address)) {
          throw checkFailed(
            `prevResult lists ${
              listed.length ? listed.join(", ") : "no address"
            } for "${ctx.ifname}", the lease is ${lease.address}`,
            "The address moved with a DHCP renewal; the runtime's recorded result is stale",
          );
        }
      }
    });
  }

  async function gc(ctx: EveGcContext): Promise<void> {
    const keep = new Set(ctx.validAttachments.map((a) => `${a.containerID}\0${a.ifname}`));
    const { states, problems } = await listStates(ctx.config.stateDir);
    for (const problem of problems) ctx.logger.warn("GC skips {problem}", { problem });
    const steps: Step[] = states
      .filter(({ state }) => !keep.has(`${state.containerID}\0${state.ifname}`))
      .map(({ paths, state }) => ({
        label: `attachment ${state.containerID}/${state.ifname}`,
        run: () =>
          withAttachmentLock(paths, async () => {
            const current = await readState(paths.state);
            if (!current) return; // a DEL got there first
            await detach({
              paths,
              state: current,
              ifname: current.ifname,
              podName: current.podName,
              podNamespace: current.podNamespace,
              netnsPath: current.netnsPath,
              zedrouterSocket: current.zedrouterSocket,
            }, ctx.logger);
          }),
      }));
    ctx.logger.info("GC releases {count} stale attachment(s)", { count: steps.length });
    await runAll(steps, ctx.logger, {
      code: EveErrorCode.GcPartialFailure,
      msg: "GC could not release every stale eve-bridge attachment",
    });
  }

  async function status(ctx: EveContext): Promise<void> {
    const dirs = [
      ...(ctx.env.PATH ?? "").split(":").filter((d) => d.startsWith("/")),
      "/usr/sbin",
      "/usr/bin",
      "/sbin",
      "/bin",
    ];
    for (const tool of ["udhcpc", "nsenter"]) {
      let found = false;
      for (const dir of dirs) {
        try {
          if ((await Deno.stat(`${dir}/${tool}`)).isFile) {
            found = true;
            break;
          }
        } catch {
          // Not in this directory.
        }
      }
      if (!found) {
        throw new CniError(
          CniErrorCode.PluginNotAvailable,
          `"${tool}" is not installed`,
          `eve-bridge runs ${tool} for the DHCP lease of pod interfaces; install it (busybox ` +
            `or util-linux) in one of ${dirs.join(":")}`,
        );
      }
    }
  }

  return { name: "zedrouter", add, del, check, gc, status };
}

export const podInterfaceHandler: InterfaceHandler = createPodInterfaceHandler();
