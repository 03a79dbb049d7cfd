/**
 * Taking a pod interface apart, for DEL, GC and ADD's rollback. Order matters: the lease is
 * released FIRST, while the pod interface still exists and carries the address (DHCPRELEASE
 * is a unicast from the leased address; without it the server keeps the lease until it
 * expires), THEN zedrouter removes the veth (DisconnectPod), THEN the state goes.
 *
 * zedrouter unreachable with state on record: the lease is released locally, the state is
 * kept (minus the client) and the error (code 11) goes to the runtime, whose retry then
 * disconnects. Without state there is nothing we attached, so zedrouter is asked only
 * best-effort (an ADD that failed before L2 must not make its DEL fail).
 */
import { ZERO_UUID } from "../../core/mod.ts";
import { addAddr, type Runner } from "../../netns/mod.ts";
import type { CniLogger } from "../cni/mod.ts";
import {
  type AttachmentPaths,
  type AttachmentState,
  nowIso,
  removeAttachmentFiles,
  writeState,
} from "./attachment_state.ts";
import { stopDhcpClient, type StopOutcome } from "./dhcp_process.ts";
import { type PodIdentity, podInterfaceOf, podOf } from "./pod_args.ts";
import { withZedrouter } from "./zedrouter_session.ts";

const ms = (since: number): number => Math.round(performance.now() - since);

/** Releases the lease and stops the client of `state` (nothing when it has none). */
export async function releaseLease(
  runner: Runner,
  state: AttachmentState,
  logger: CniLogger,
  options: { ensureAddress: boolean },
): Promise<StopOutcome | "none"> {
  if (state.dhcp === null) return "none";
  if (options.ensureAddress && state.lease !== null) {
    // An ADD that failed at L3: the address may not be on the interface yet, and the
    // release needs it there. DisconnectPod removes the interface right after anyway.
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

/** What DEL and GC need to detach one attachment. */
export interface DetachTarget {
  readonly paths: AttachmentPaths;
  readonly state: AttachmentState | undefined;
  readonly ifname: string;
  /** From CNI_ARGS / CNI_NETNS, used when there is no state. */
  readonly fallback: PodIdentity;
  readonly zedrouterSocket: string;
}

export async function detach(
  runner: Runner,
  target: DetachTarget,
  logger: CniLogger,
): Promise<void> {
  const started = performance.now();
  const { state } = target;
  let releaseOutcome: StopOutcome | "none" = "none";
  if (state?.dhcp) {
    releaseOutcome = await releaseLease(runner, state, logger, { ensureAddress: false });
    // The client is gone: a retried DEL must not look for it again.
    await writeState(target.paths.state, { ...state, dhcp: null, updatedAt: nowIso() });
  }
  const releaseMs = ms(started);
  const pod = podOf(state ?? target.fallback);
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
    if (state !== undefined) throw error; // state kept: the retry disconnects
    logger.warn("DisconnectPod without state failed, ignored: {error}", {
      error: error instanceof Error ? error.message : String(error),
    });
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
