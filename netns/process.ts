/**
 * Long-running processes (dnsmasq, udhcpc): spawn without a shell, probe, stop by pid.
 * Short commands go through a Runner instead; this file is for daemons that outlive a call.
 */
import { after, sleep } from "../core/timers.ts";
import { readTextFileIfExists } from "../core/mod.ts";
import { sendSignal } from "./signal.ts";
import { libcForSpawn, libcSpawnDetached } from "./libc_spawn.ts";

export interface DaemonOptions {
  /** Child stdout is appended to this file (pumped by this process); otherwise discarded. */
  stdoutPath?: string;
  /** Child stderr is appended to this file (pumped by this process); otherwise discarded. */
  stderrPath?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  /**
   * Let the daemon outlive this process: it runs in its own session (Deno's `detached`, a
   * setsid() in the child before its exec: no `setsid` program, one exec fewer on every
   * DHCP client start) and does not keep this process's event loop alive. Output paths are
   * not allowed then, because nobody would pump them after we exit.
   */
  detach?: boolean;
}

export interface Daemon {
  pid: number;
  child: Deno.ChildProcess;
  /** Resolves once the daemon has exited and its output is flushed (await it in tests). */
  exited: Promise<Deno.CommandStatus>;
}

/** Spawns argv as a daemon (argv[0] resolved on PATH, no shell). */
export function spawnDaemon(argv: readonly string[], options: DaemonOptions = {}): Daemon {
  if (argv.length === 0) throw new Error("Cannot spawn an empty command");
  if (options.detach && (options.stdoutPath || options.stderrPath)) {
    throw new Error("Cannot redirect the output of a detached daemon: use its own log option");
  }
  const [program, ...args] = argv as [string, ...string[]];
  const child = new Deno.Command(program, {
    args,
    detached: options.detach ?? false,
    stdin: "null",
    stdout: options.stdoutPath ? "piped" : "null",
    stderr: options.stderrPath ? "piped" : "null",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  const pumps: Promise<void>[] = [];
  if (options.stdoutPath) pumps.push(pumpToFile(child.stdout, options.stdoutPath));
  if (options.stderrPath) pumps.push(pumpToFile(child.stderr, options.stderrPath));
  if (options.detach) child.unref();
  const exited = Promise.all([child.status, ...pumps]).then(([status]) => status);
  return { pid: child.pid, child, exited };
}

/** A daemon started by startDetachedDaemon. */
export interface DetachedDaemon {
  pid: number;
  /** Resolves once the daemon has exited (while this process runs). */
  exited: Promise<unknown>;
}

/**
 * Starts argv (argv[0] resolved on PATH, no shell) as spawnDaemon's `detach` does, stdin,
 * stdout and stderr on /dev/null, `env` added to the inherited environment. With libc's
 * posix_spawn where it can be loaded (libc_spawn.ts: eve-bridge's netX ADD then never loads
 * Deno's process module), else with spawnDaemon. The daemon does not keep this process
 * alive; waiting on `exited` does, until the daemon is gone (as awaiting a child's status).
 */
export async function startDetachedDaemon(
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<DetachedDaemon> {
  const libc = libcForSpawn();
  if (libc === null) return spawnDaemon(argv, { detach: true, env });
  const pid = await libcSpawnDetached(libc, argv, { ...Deno.env.toObject(), ...env });
  // Watched only once someone asks: a caller that never waits must be free to exit.
  let exited: Promise<void> | undefined;
  return {
    pid,
    get exited() {
      return exited ??= watchExit(pid);
    },
  };
}

/** How often watchExit looks at /proc. */
const EXIT_POLL_MS = 50;

/**
 * Resolves once `pid` is gone (or a zombie: nobody here reaps it; once this process exits,
 * init does).
 */
function watchExit(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => {
      if (isAlive(pid)) after(EXIT_POLL_MS, poll);
      else resolve();
    };
    poll();
  });
}

async function pumpToFile(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  const file = await Deno.open(path, { create: true, append: true });
  try {
    for await (const chunk of stream) await file.write(chunk);
  } finally {
    file.close();
  }
}

/** True when `pid` is a running (not zombie) process. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return false;
  }
  // Field 3 follows the command name in parentheses, which may itself contain ") ".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X" && state !== "";
}

/** Sends a signal; false when the process was already gone. Refuses pid <= 1. */
export function signalPid(pid: number, signal: Deno.Signal): boolean {
  checkKillablePid(pid);
  return sendSignal(pid, signal);
}

/**
 * SIGTERM, wait up to graceMs, then SIGKILL; resolves once the process is gone. Never
 * signals pid <= 1 (a zero or garbage pid file must not turn into "kill everything").
 */
export async function stopPid(pid: number, options: { graceMs?: number } = {}): Promise<void> {
  checkKillablePid(pid);
  const graceMs = options.graceMs ?? 3000;
  if (!isAlive(pid)) return;
  signalPid(pid, "SIGTERM");
  if (await waitGone(pid, graceMs)) return;
  signalPid(pid, "SIGKILL");
  if (!(await waitGone(pid, 5000))) throw new Error(`Process ${pid} survived SIGKILL`);
}

/** Polls until `pid` is gone; true if it went within timeoutMs. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/** The pid written in a pid file, or undefined when missing, empty or not a plausible pid. */
export async function readPidFile(path: string): Promise<number | undefined> {
  const text = await readTextFileIfExists(path);
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  return pid > 1 ? pid : undefined;
}

function checkKillablePid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new RangeError(`Refusing to signal pid ${pid}: expected an integer greater than 1`);
  }
}
