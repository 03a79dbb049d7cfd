/**
 * The long-running udhcpc of an attachment, seen from later invocations (DEL, CHECK, GC), which
 * only have its record from the state file. A pid may have been reused since ADD (a crashed
 * udhcpc's pid can be recycled), so we only ever signal a process that core/eve's check
 * (dhcp_client.ts: udhcpc, our pid file, the recorded start time) proves ours.
 */
import { sleep } from "../../../core/mod.ts";
import {
  type DhcpEvent,
  readDhcpEvents,
  readPidFile,
  type Runner,
  signalPid,
  waitForDhcpEvent,
} from "../../../netns/mod.ts";
import type { CniLogger } from "../../cni/mod.ts";
import { HOOK_SCRIPT_NAME, verifyHook } from "./hook.ts";
import {
  type AttachmentPaths,
  type AttachmentState,
  dhcpClientEnded,
  type DhcpClientRecord,
  isOurDhcpClient,
} from "../../../core/eve/mod.ts";
import { ensureLeasedAddress, releaseOrphanLease } from "./orphan_lease.ts";

// udhcpc exits within a millisecond of SIGTERM once it has released; a check is two small
// /proc reads, so a short interval keeps DEL from waiting 5 ms on average for nothing.
const EXIT_POLL_MS = 2;

async function waitEnded(client: DhcpClientRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (dhcpClientEnded(client)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(EXIT_POLL_MS);
  }
}

/**
 * How a client's stop went. "released": it held a lease, the leased address was on its
 * interface (a DHCPRELEASE is a unicast sent FROM that address: without it busybox cannot
 * bind the socket and sends nothing) and it ran `deconfig` after SIGUSR2. "no-lease": it held
 * none, so there was nothing to give back. "stopped-without-release": it held one and the
 * release could not go out (the reason is logged); the server keeps the lease until expiry.
 */
export type StopOutcome =
  | "released"
  | "no-lease"
  | "stopped-without-release"
  | "already-gone"
  | "release-unconfirmed";

/**
 * Whether the client's hook can record events: not in a read-only state dir (or one whose
 * event file is gone), where `deconfig` can never show and waiting for it is only a delay.
 */
function eventsRecordable(eventFile: string): boolean {
  try {
    Deno.openSync(eventFile, { append: true }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The wait for a SIGKILLed client's end, which a caller may overlap with other work (DEL:
 * DisconnectPod): it resolves once the client has ended and throws when even SIGKILL did not
 * end it. Settled in the background, so a failure is never an unhandled rejection.
 */
export type ClientEnd = () => Promise<void>;

const ENDED: ClientEnd = () => Promise.resolve();

function killClient(client: DhcpClientRecord): ClientEnd {
  signalPid(client.pid, "SIGKILL");
  const settled = waitEnded(client, 5000).then(
    (ended) => ended ? undefined : new Error(`udhcpc (pid ${client.pid}) survived SIGKILL`),
    (error: unknown) => error,
  );
  return async () => {
    const error = await settled;
    if (error !== undefined) throw error;
  };
}

/**
 * SIGTERM, then SIGKILL if it lingers. `released`: the release is confirmed (its `deconfig`
 * came), so SIGKILL at once: with -R, SIGTERM makes busybox udhcpc "release" again, which runs
 * the hook's `deconfig` a second time (a sh fork and exec) before it exits, for nothing. Once
 * SIGKILL is sent nothing more goes out, so only its wait is left to the ClientEnd.
 */
async function endClient(
  client: DhcpClientRecord,
  timeoutMs: number,
  released = false,
): Promise<ClientEnd> {
  if (!released) {
    signalPid(client.pid, "SIGTERM");
    if (await waitEnded(client, timeoutMs)) return ENDED;
  }
  return killClient(client);
}

/**
 * Ends the client, after SIGUSR2 made busybox udhcpc send DHCPRELEASE (the server drops the
 * lease at once) and run `deconfig`, which we wait for so the release is on the wire before
 * SIGTERM; SIGKILL if it lingers. Resolves whether `deconfig` came. busybox runs `deconfig`
 * whether or not a release went out, so this alone proves nothing: see stopAttachmentDhcp.
 * "unrecorded": the hook cannot record `deconfig` (read-only state dir), so nothing is waited
 * for; the release still goes out before the exit (udhcpc reads its signals one at a time from
 * its signal pipe, SIGUSR2 first, and `-R` releases on SIGTERM too), unconfirmed.
 */
export async function stopDhcpClient(
  runner: Runner,
  client: DhcpClientRecord,
  options: { timeoutMs?: number } = {},
): Promise<boolean | "already-gone" | "unrecorded"> {
  const { stopped, ended } = await releaseDhcpClient(runner, client, options);
  await ended();
  return stopped;
}

/** stopDhcpClient, whose SIGKILLed client may still be ending: `ended` waits for it. */
async function releaseDhcpClient(
  _runner: Runner,
  client: DhcpClientRecord,
  options: { timeoutMs?: number },
): Promise<{ stopped: boolean | "already-gone" | "unrecorded"; ended: ClientEnd }> {
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!isOurDhcpClient(client)) return { stopped: "already-gone", ended: ENDED };
  // SIGUSR2 makes udhcpc run its hook as root: the hook must be ours first.
  // A client known from its pid file only (`<stateDir>/<id>/<if>.pid`) runs the state dir's.
  const stateDir = client.pidFile.split("/").slice(0, -2).join("/");
  await verifyHook(client.hookScript || `${stateDir}/${HOOK_SCRIPT_NAME}`);
  if (!eventsRecordable(client.eventFile)) {
    signalPid(client.pid, "SIGUSR2");
    return { stopped: "unrecorded", ended: await endClient(client, timeoutMs) };
  }
  const before = (await readDhcpEvents(client.eventFile)).length;
  signalPid(client.pid, "SIGUSR2");
  const deconfig = await waitForDhcpEvent(client.eventFile, (e) => e.event === "deconfig", {
    skip: before,
    timeoutMs,
  });
  const ended = await endClient(client, timeoutMs, deconfig !== undefined);
  return { stopped: deconfig !== undefined, ended };
}

/**
 * The lease the client holds now, from its hook's events: the newest bound/renew with no
 * deconfig, nak or leasefail after it. The events are the client's own record, so this holds
 * even when the ADD that started it died before writing the lease into the state file.
 */
export function heldLease(events: readonly DhcpEvent[]): DhcpEvent | undefined {
  const last = events.findLastIndex((e) => e.event === "bound" || e.event === "renew");
  if (last < 0) return undefined;
  const lost = events.slice(last + 1).some((e) =>
    ["deconfig", "nak", "leasefail"].includes(e.event)
  );
  return lost ? undefined : events[last];
}

/**
 * The attachment's DHCP client: the state's record, or, when the state has none (an ADD killed
 * between starting udhcpc and recording it, or a lost state file), udhcpc's own pid file.
 * stopDhcpClient only signals a pid whose command line names that pid file.
 */
export async function clientOf(
  paths: AttachmentPaths,
  state: AttachmentState | undefined,
): Promise<DhcpClientRecord | null> {
  if (state?.dhcp) return state.dhcp;
  const pid = await readPidFile(paths.pid).catch(() => undefined);
  if (pid === undefined) return null;
  return { pid, eventFile: paths.events, pidFile: paths.pid, hookScript: "" };
}

/**
 * Releases the lease the client holds and stops it (nothing when there is none). The leased
 * address is put on the interface first unless zedrouter is known to have put it there (a
 * ready attachment at that lease): an ADD killed or failed before L3 never had it applied.
 * It is added through the client's own /proc/<pid>/ns/net, which stays valid while udhcpc
 * runs even after the pod's netns mount is gone. A client that is gone already may have left
 * a lease behind: orphan_lease.ts releases it (`netnsPath`: the pod's, when no state says).
 */
export async function stopAttachmentDhcp(
  runner: Runner,
  client: DhcpClientRecord | null,
  state: AttachmentState | undefined,
  logger: CniLogger,
  netnsPath?: string,
): Promise<StopOutcome | "none"> {
  const { outcome, ended } = await releaseAttachmentDhcp(runner, client, state, logger, netnsPath);
  await ended();
  return outcome;
}

/**
 * stopAttachmentDhcp, less the wait for a client SIGKILLed after its confirmed release:
 * `ended` waits for it, so DEL overlaps that wait (~3 ms, measured in issue 11) with
 * DisconnectPod. The release itself is on the wire before this resolves.
 */
export async function releaseAttachmentDhcp(
  runner: Runner,
  client: DhcpClientRecord | null,
  state: AttachmentState | undefined,
  logger: CniLogger,
  netnsPath?: string,
): Promise<{ outcome: StopOutcome | "none"; ended: ClientEnd }> {
  if (client === null) return { outcome: "none", ended: ENDED };
  let held: DhcpEvent | undefined;
  let cannotSend: string | undefined;
  let stopped: boolean | "already-gone" | "unrecorded" = "already-gone";
  let ended = ENDED;
  if (isOurDhcpClient(client)) {
    held = heldLease(await readDhcpEvents(client.eventFile).catch(() => []));
    const applied = state?.phase === "ready" && state.lease?.address.split("/")[0] === held?.ip;
    if (held !== undefined && !applied) {
      const ns = { path: `/proc/${client.pid}/ns/net` };
      cannotSend = await ensureLeasedAddress(runner, ns, state?.ifname ?? held.interface, held);
    }
    ({ stopped, ended } = await releaseDhcpClient(runner, client, {}));
  }
  let outcome: StopOutcome;
  if (stopped === "already-gone") {
    const orphan = await releaseOrphanLease(runner, client, state, netnsPath, heldLease);
    outcome = orphan === undefined
      ? "already-gone"
      : orphan.released
      ? "released"
      : "stopped-without-release";
    cannotSend = orphan?.reason;
  } else {
    outcome = held === undefined
      ? "no-lease"
      : cannotSend !== undefined || stopped === false
      ? "stopped-without-release"
      : stopped === "unrecorded"
      ? "release-unconfirmed"
      : "released";
  }
  if (outcome === "release-unconfirmed") {
    logger.warn("DHCP lease of udhcpc {pid} released unconfirmed: {reason}", {
      pid: client.pid,
      reason: `${client.eventFile} cannot be written, so udhcpc cannot report its deconfig`,
    });
  } else if (outcome === "stopped-without-release") {
    logger.warn("DHCP lease of udhcpc {pid} was not released: {reason}", {
      pid: client.pid,
      reason: cannotSend ?? "udhcpc did not confirm the release (no deconfig event)",
    });
  } else {
    logger.info("DHCP client {pid} stopped: {outcome}", { pid: client.pid, outcome });
  }
  return { outcome, ended };
}
