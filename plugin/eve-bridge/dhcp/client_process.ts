/**
 * The long-running udhcpc of an attachment, seen from later invocations (DEL, CHECK, GC), which
 * only have its record from the state file. A pid may have been reused since ADD (a crashed
 * udhcpc's pid can be recycled), so we only ever signal a process that core/eve's check
 * (dhcp_client.ts: udhcpc, our pid file, the recorded start time) proves ours.
 */
import { sleep } from "../../../core/mod.ts";
import {
  addAddr,
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
  type DhcpClientRecord,
  isOurDhcpClient,
} from "../../../core/eve/mod.ts";

async function waitNotOurs(client: DhcpClientRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isOurDhcpClient(client)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
}

export type StopOutcome = "released" | "stopped-without-release" | "already-gone";

/**
 * Releases the lease and ends the client. SIGUSR2 makes busybox udhcpc send DHCPRELEASE (the
 * server drops the lease at once) and run `deconfig`, which we wait for so the release is on
 * the wire before SIGTERM; then SIGTERM, and SIGKILL if it lingers.
 */
export async function stopDhcpClient(
  _runner: Runner,
  client: DhcpClientRecord,
  options: { timeoutMs?: number } = {},
): Promise<StopOutcome> {
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!isOurDhcpClient(client)) return "already-gone";
  // SIGUSR2 makes udhcpc run its hook as root: the hook must be ours first.
  // A client known from its pid file only (`<stateDir>/<id>/<if>.pid`) runs the state dir's.
  const stateDir = client.pidFile.split("/").slice(0, -2).join("/");
  await verifyHook(client.hookScript || `${stateDir}/${HOOK_SCRIPT_NAME}`);
  const before = (await readDhcpEvents(client.eventFile)).length;
  signalPid(client.pid, "SIGUSR2");
  const deconfig = await waitForDhcpEvent(client.eventFile, (e) => e.event === "deconfig", {
    skip: before,
    timeoutMs,
  });
  signalPid(client.pid, "SIGTERM");
  if (!(await waitNotOurs(client, timeoutMs))) {
    signalPid(client.pid, "SIGKILL");
    if (!(await waitNotOurs(client, 5000))) {
      throw new Error(`udhcpc (pid ${client.pid}) survived SIGKILL`);
    }
  }
  return deconfig ? "released" : "stopped-without-release";
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

/** Releases the lease and stops the client (nothing when there is none). */
export async function stopAttachmentDhcp(
  runner: Runner,
  client: DhcpClientRecord | null,
  state: AttachmentState | undefined,
  logger: CniLogger,
  options: { ensureAddress: boolean },
): Promise<StopOutcome | "none"> {
  if (client === null) return "none";
  if (options.ensureAddress && state?.lease) {
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
  const outcome = await stopDhcpClient(runner, client);
  logger.info("DHCP client {pid} stopped: {outcome}", { pid: client.pid, outcome });
  return outcome;
}
