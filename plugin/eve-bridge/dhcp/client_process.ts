/**
 * The long-running udhcpc of an attachment, seen from later invocations (DEL, CHECK, GC), which
 * only have its pid from the state file. Two facts matter:
 * - liveness and identity are read from /proc/<pid> by `cat` through the Runner, the seam unit
 *   tests fake (the launchers' --allow-all would let Deno read /proc itself);
 * - a pid may have been reused since ADD (a reboot keeps no state: stateDir is tmpfs, but a
 *   crashed udhcpc's pid can be recycled), so we only ever signal a process whose command line
 *   is udhcpc with OUR pid file.
 */
import {
  addAddr,
  EXIT_NOT_EXECUTABLE,
  readDhcpEvents,
  readPidFile,
  type Runner,
  signalPid,
  waitForDhcpEvent,
} from "../../../netns/mod.ts";
import type { CniLogger } from "../../cni/mod.ts";
import type { AttachmentPaths, AttachmentState, DhcpClientRecord } from "../../../core/eve/mod.ts";

export interface ProcessInfo {
  /** The state letter of /proc/<pid>/stat (R, S, Z, ...). */
  readonly state: string;
  readonly cmdline: readonly string[];
}

/** What /proc says about `pid`, or undefined when it is gone. */
export async function readProcess(runner: Runner, pid: number): Promise<ProcessInfo | undefined> {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const out = await runner(["cat", `/proc/${pid}/stat`, `/proc/${pid}/cmdline`]);
  // "cat" not found is not "process gone": saying gone would leave a live udhcpc behind.
  if (out.code === EXIT_NOT_EXECUTABLE) {
    throw new Error(`Cannot read /proc/${pid}: "cat" could not be run (${out.stderr.trim()})`);
  }
  if (out.code !== 0) return undefined;
  const newline = out.stdout.indexOf("\n");
  const stat = newline < 0 ? out.stdout : out.stdout.slice(0, newline);
  const close = stat.lastIndexOf(")");
  const state = close < 0 ? "" : stat.slice(close + 2, close + 3);
  const cmdline = (newline < 0 ? "" : out.stdout.slice(newline + 1)).split("\0").filter((s) =>
    s !== ""
  );
  return { state, cmdline };
}

/** Alive (not a zombie) and our udhcpc: its argv names our pid file. */
export async function isOurDhcpClient(runner: Runner, client: DhcpClientRecord): Promise<boolean> {
  const info = await readProcess(runner, client.pid);
  if (info === undefined || info.state === "Z" || info.state === "X" || info.state === "") {
    return false;
  }
  const [program, ...args] = info.cmdline;
  if (program === undefined || !program.split("/").at(-1)!.includes("udhcpc")) return false;
  const p = args.indexOf("-p");
  return p >= 0 && args[p + 1] === client.pidFile;
}

async function waitNotOurs(runner: Runner, client: DhcpClientRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await isOurDhcpClient(runner, client))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export type StopOutcome = "released" | "stopped-without-release" | "already-gone";

/**
 * Releases the lease and ends the client. SIGUSR2 makes busybox udhcpc send DHCPRELEASE (the
 * server drops the lease at once) and run `deconfig`, which we wait for so the release is on
 * the wire before SIGTERM; then SIGTERM, and SIGKILL if it lingers.
 */
export async function stopDhcpClient(
  runner: Runner,
  client: DhcpClientRecord,
  options: { timeoutMs?: number } = {},
): Promise<StopOutcome> {
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!(await isOurDhcpClient(runner, client))) return "already-gone";
  const before = (await readDhcpEvents(client.eventFile)).length;
  signalPid(client.pid, "SIGUSR2");
  const deconfig = await waitForDhcpEvent(client.eventFile, (e) => e.event === "deconfig", {
    skip: before,
    timeoutMs,
  });
  signalPid(client.pid, "SIGTERM");
  if (!(await waitNotOurs(runner, client, timeoutMs))) {
    signalPid(client.pid, "SIGKILL");
    if (!(await waitNotOurs(runner, client, 5000))) {
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
