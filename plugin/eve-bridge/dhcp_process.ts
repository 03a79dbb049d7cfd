/**
 * The long-running udhcpc of an attachment, seen from later invocations (DEL, CHECK, GC), which
 * only have its pid from the state file. Two facts matter:
 * - Deno refuses /proc/<pid>/* to a program without --allow-all (the launcher grants less), so
 *   liveness and identity are read by `cat` in a child process;
 * - a pid may have been reused since ADD (a reboot keeps no state: stateDir is tmpfs, but a
 *   crashed udhcpc's pid can be recycled), so we only ever signal a process whose command line
 *   is udhcpc with OUR pid file.
 */
import {
  EXIT_NOT_EXECUTABLE,
  readDhcpEvents,
  type Runner,
  signalPid,
  waitForDhcpEvent,
} from "../../netns/mod.ts";
import type { DhcpClientRecord } from "../../core/eve/mod.ts";

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
