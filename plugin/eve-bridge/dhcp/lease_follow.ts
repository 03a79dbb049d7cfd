/**
 * `eve-bridge dhcp-event <eventFile>`: what the udhcpc hook starts after a `bound` or `renew`
 * (see hook.ts). It makes the pod follow its lease: when the newest lease puts the pod at
 * another address, the old address leaves the pod interface and zedrouter is told
 * (ConnectPodAtL3 with the new one, which it applies); a plain renewal only refreshes the
 * recorded lease. A lost lease (nak, no answer) changes nothing until a new one is bound:
 * the pod keeps its address, and CHECK reports the expiry.
 *
 * It runs under the attachment's lock, so it waits for a running ADD (whose first `bound`
 * started it) and finds nothing to do once DEL removed the state. It decides from the files
 * alone, so running it twice, late, or out of order is harmless.
 */
import { DEFAULT_LEASE_POLICY, leaseRefusals } from "../lease_guard.ts";
import { errorMessage, isoTime, isTrustedDirectory, sleep } from "../../../core/mod.ts";
import { addAddr, delAddr, libcRunner, listAddrs, type Runner } from "../../../netns/mod.ts";
import { CniError, CniErrorCode, type CniLogger, openLog } from "../../cni/mod.ts";
import { readState, withExistingAttachmentLock, writeState } from "../attachment_state.ts";
import {
  type AttachmentPaths,
  attachmentPaths,
  type AttachmentState,
} from "../../../core/eve/mod.ts";
import { l3Fields } from "../l3_request.ts";
import { latestLease, sameAddressing } from "./lease_keeper.ts";
import { podInterfaceOf, podOf } from "../pod_args.ts";
import { followRoutingPolicy } from "../routing_policy.ts";
import { withZedrouter } from "../zedrouter_session.ts";

export type FollowOutcome =
  | "no-state"
  | "not-ready"
  | "no-lease"
  | "refused"
  | "renewed"
  | "moved";

/** The attachment an event file belongs to (`<stateDir>/<containerID>/<ifname>.events`). */
export function pathsOfEventFile(eventFile: string): AttachmentPaths {
  const match = /^(\/.+)\/([^/]+)\/([^/]+)\.events$/.exec(eventFile);
  if (!match || eventFile.includes("/../") || eventFile.includes("\0")) {
    throw new Error(`Invalid DHCP event file "${eventFile}": expected <stateDir>/<id>/<if>.events`);
  }
  const [, stateDir, containerId, ifname] = match as unknown as [string, string, string, string];
  return attachmentPaths(stateDir, containerId, ifname);
}

/** Whether the pod interface carries `address` (read from the kernel). */
async function hasAddress(runner: Runner, state: AttachmentState, address: string) {
  // Unreadable (the namespace is going away): as before, the state's word is taken.
  const addrs = await listAddrs(runner, { path: state.netnsPath }, state.ifname).catch(() => null);
  return addrs === null || addrs.some((a) => a.cidr === address);
}

/** A failed move's undo: the new address goes, the old one comes back. */
async function rollBackMove(
  runner: Runner,
  state: AttachmentState,
  added: string,
  previous: string,
  logger: CniLogger,
): Promise<void> {
  const ns = { path: state.netnsPath };
  try {
    await delAddr(runner, ns, state.ifname, added);
    await addAddr(runner, ns, state.ifname, previous, { ignoreExists: true });
    logger.warn("Address move of {ifname} to {to} failed: back at {from}", {
      to: added,
      from: previous,
    });
  } catch (error) {
    logger.error("Address move of {ifname} failed and could not be rolled back: {error}", {
      error: errorMessage(error),
    });
  }
}

/** Brings the pod in line with the newest lease of the attachment. */
export async function followLease(
  paths: AttachmentPaths,
  logger: CniLogger,
  runner: Runner = libcRunner,
): Promise<FollowOutcome> {
  // Never creates the attachment's files: a callback that starts after DEL finds none.
  return await withExistingAttachmentLock(paths, async (): Promise<FollowOutcome> => {
    const state = await readState(paths.state);
    if (state === undefined) return "no-state";
    if (state.phase !== "ready" || state.dhcp === null) return "not-ready";
    const lease = await latestLease(state.dhcp.eventFile);
    if (lease === undefined) return "no-lease";
    // A lease the policy refuses changes nothing: the pod keeps the address it has.
    const refusals = leaseRefusals(state.leasePolicy ?? DEFAULT_LEASE_POLICY, lease);
    if (refusals.length > 0) {
      logger.error("Refused the DHCP server's lease {address}, keeping {kept}: {reasons}", {
        address: lease.address,
        kept: state.lease?.address ?? null,
        serverId: lease.serverId,
        reasons: refusals.join("; "),
      });
      return "refused";
    }
    const old = state.lease;
    // Compared with the kernel too: a move that failed half-way (or a hand edit) leaves the
    // state's address off the interface, and a renewal of it must put it back, not skip it.
    if (
      old !== null && sameAddressing(old, lease) && await hasAddress(runner, state, old.address)
    ) {
      await writeState(paths.state, { ...state, lease, updatedAt: isoTime() });
      logger.debug("Lease {address} renewed", { address: lease.address });
      // A policy whose re-apply failed after the last move gets another go.
      await followRoutingPolicy(runner, paths.routing, lease, logger);
      return "renewed";
    }
    // The old address goes FIRST: deleting a primary address also deletes the secondaries of
    // its subnet (promote_secondaries is off by default), so removing it after zedrouter added
    // the new one would take the new one along. A failed L3 below leaves the state at the old
    // lease, so the next event (or renewal) tries again.
    const moving = old !== null && old.address !== lease.address;
    if (moving) await delAddr(runner, { path: state.netnsPath }, state.ifname, old.address);
    const started = performance.now();
    await withZedrouter(
      state.zedrouterSocket,
      logger,
      (session) =>
        session.call("RPCServer.ConnectPodAtL3", {
          pod: podOf(state),
          podInterface: podInterfaceOf(state.ifname, state.netnsPath, state.mac),
          ...l3Fields(lease),
        }),
    ).catch(async (error) => {
      // Rolled back to what the state says: the new address off, the old one on again, so the
      // pod, its record and the next renewal's comparison agree.
      if (moving) await rollBackMove(runner, state, lease.address, old.address, logger);
      throw error;
    });
    const l3Ms = Math.round(performance.now() - started);
    await writeState(paths.state, { ...state, lease, updatedAt: isoTime() });
    logger.info("Lease moved {ifname} from {from} to {to}", {
      from: old?.address ?? null,
      to: lease.address,
      l3Ms,
    });
    // The routing policy follows the address: rules, table, node's neighbour entries.
    await followRoutingPolicy(runner, paths.routing, lease, logger);
    return "moved";
  }, "no-state");
}

/** The whole `dhcp-event` command: returns the process exit code (0 ok, 1 failed). */
/**
 * zedrouter away (restarting, busy) when the pod must move: the pod has already lost its old
 * address, so we keep trying for a while instead of waiting for the next renewal (half the
 * lease time). The lock is released between attempts, so a DEL is never held up; each attempt
 * decides afresh from the files.
 */
export const FOLLOW_RETRY = { attempts: 30, delayMs: 2000 } as const;

/** The whole `dhcp-event` command: returns the process exit code (0 ok, 1 failed). */
export async function runDhcpEvent(
  argv: readonly string[],
  retry: { attempts: number; delayMs: number } = FOLLOW_RETRY,
): Promise<number> {
  const started = performance.now();
  const eventFile = argv[0] ?? "";
  let paths: AttachmentPaths;
  try {
    paths = pathsOfEventFile(eventFile);
  } catch {
    return 2;
  }
  // The records decide what root changes and whom it signals: only from a trusted state dir.
  if (!isTrustedDirectory(paths.dir)) return 2;
  const peek = await readState(paths.state).catch(() => undefined);
  if (peek === undefined) return 0;
  const log = await openLog(peek.logFile, {
    command: "DHCP-EVENT",
    containerID: peek.containerID,
    ifname: peek.ifname,
    podNamespace: peek.podNamespace,
    podName: peek.podName,
  }, started);
  try {
    for (let attempt = 1;; attempt++) {
      try {
        const outcome = await followLease(paths, log.logger);
        log.logger.debug("DHCP event handled: {outcome}", { outcome, attempt });
        return 0;
      } catch (error) {
        const text = errorMessage(error);
        const unavailable = error instanceof CniError &&
          error.code === CniErrorCode.TryAgainLater;
        if (!unavailable || attempt >= retry.attempts) {
          log.logger.error("DHCP event failed: {error}", { error: text, attempt });
          return 1;
        }
        log.logger.warn("DHCP event: zedrouter unavailable, retrying: {error}", {
          error: text,
          attempt,
        });
        await sleep(retry.delayMs);
      }
    }
  } finally {
    await log.close();
  }
}
