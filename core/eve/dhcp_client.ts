/**
 * "Is this process our udhcpc?": the one check every program makes before it signals the DHCP
 * client an eve-bridge state file names (eve-bridge's DEL, GC and ADD rollback; eve-cni-debug's
 * `doctor --fix`). A pid alone proves nothing: the client may have died and its pid been reused
 * by any process. So a process is ours only when
 *
 * - it is alive (not a zombie),
 * - it runs udhcpc, and its argv names the attachment's pid file (`-p <file>`), which lies in
 *   eve-bridge's state dir,
 * - and it started when the record says (field 22 of /proc/<pid>/stat, clock ticks since boot):
 *   pid and start time together name one process for the life of the machine, so a recycled pid
 *   is never taken for our client, even one that happens to run another udhcpc.
 *
 * Everything is read from /proc directly (the programs run with --allow-all, which Deno needs
 * for /proc/<pid>): no `cat`, no subprocess.
 */

/** What /proc says about one process. */
export interface ProcessFacts {
  readonly pid: number;
  /** The state letter of /proc/<pid>/stat (R, S, Z, ...). */
  readonly state: string;
  /** Clock ticks after boot when the process started (stat field 22); exec keeps it. */
  readonly startTime: number;
  readonly argv: readonly string[];
  /** A kernel thread (PF_KTHREAD in stat field 9): never a udhcpc, and its argv is empty. */
  readonly kernelThread?: boolean;
}

// include/linux/sched.h: the flag bit of a kernel thread.
const PF_KTHREAD = 0x00200000;

/** The facts of `pid`, or undefined when there is no such process (or /proc cannot say). */
export function readProcessFacts(pid: number): ProcessFacts | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  let stat: string;
  let cmdline: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold ") ": cut at the last.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const startTime = Number(fields[19]);
  return {
    pid,
    state: fields[0] ?? "",
    startTime: Number.isInteger(startTime) ? startTime : -1,
    argv: cmdline.split("\0").filter((word) => word !== ""),
    kernelThread: (Number(fields[6]) & PF_KTHREAD) !== 0,
  };
}

/** What a state file records of its attachment's client (DhcpClientRecord has more). */
export interface DhcpClientIdentity {
  readonly pid: number;
  readonly pidFile: string;
  /** Absent in records older than this check: then pid and argv must do. */
  readonly startTime?: number | undefined;
}

export type DhcpClientVerdict = { readonly ours: true } | {
  readonly ours: false;
  /** Why not, for a log line or a report ("pid 42 is gone", "pid 42 runs sleep"). */
  readonly why: string;
};

const isUdhcpc = (argv0: string | undefined): boolean =>
  argv0 !== undefined && argv0.slice(argv0.lastIndexOf("/") + 1) === "udhcpc";

/** The `-p` argument of an argv, if any. */
function pidFileArg(argv: readonly string[]): string | undefined {
  const p = argv.indexOf("-p");
  return p < 0 ? undefined : argv[p + 1];
}

/** No such process, or one that has exited (a zombie, or being reaped). */
function hasExited(facts: ProcessFacts | undefined): facts is undefined {
  return facts === undefined || facts.state === "Z" || facts.state === "X" || facts.state === "";
}

/**
 * Whether `client` names a live udhcpc of ours; `stateDir`, when given, is where its pid file
 * must lie. `facts` defaults to reading /proc now.
 */
export function dhcpClientVerdict(
  client: DhcpClientIdentity,
  stateDir?: string,
  facts: ProcessFacts | undefined = readProcessFacts(client.pid),
): DhcpClientVerdict {
  const pid = client.pid;
  if (hasExited(facts)) return { ours: false, why: `pid ${pid} is gone` };
  if (client.startTime !== undefined && facts.startTime !== client.startTime) {
    return {
      ours: false,
      why: `pid ${pid} started at tick ${facts.startTime}, not ${client.startTime} as recorded ` +
        "(the pid was reused)",
    };
  }
  if (!isUdhcpc(facts.argv[0])) {
    return { ours: false, why: `pid ${pid} runs ${facts.argv[0] ?? "nothing"}, not udhcpc` };
  }
  const pidFile = pidFileArg(facts.argv);
  if (pidFile !== client.pidFile) {
    return {
      ours: false,
      why: `pid ${pid} is a udhcpc with pid file ${pidFile ?? "none"}, not ${client.pidFile}`,
    };
  }
  if (stateDir !== undefined && !pidFile.startsWith(`${stateDir.replace(/\/+$/, "")}/`)) {
    return { ours: false, why: `pid ${pid}'s pid file ${pidFile} is outside ${stateDir}` };
  }
  return { ours: true };
}

/**
 * Whether the process of `client` has ended: gone, a zombie, or its pid now names a process
 * that started at another time. Not `!isOurDhcpClient`: an exiting udhcpc loses its command
 * line (the kernel frees its memory) a moment before it becomes a zombie, and a stop that
 * returned then would leave it running for that moment.
 */
export function dhcpClientEnded(
  client: DhcpClientIdentity,
  facts: ProcessFacts | undefined = readProcessFacts(client.pid),
): boolean {
  if (hasExited(facts)) return true;
  if (client.startTime !== undefined) return facts.startTime !== client.startTime;
  // A record without its start time: its command line is all there is to go by. An empty one
  // is an exiting client's, unless the pid now names a kernel thread (which has none).
  if (facts.kernelThread) return true;
  return facts.argv.length > 0 && !dhcpClientVerdict(client, undefined, facts).ours;
}

export function isOurDhcpClient(client: DhcpClientIdentity, stateDir?: string): boolean {
  return dhcpClientVerdict(client, stateDir).ours;
}

/** A running udhcpc found in /proc whose pid file lies under a state dir. */
export interface FoundDhcpClient extends ProcessFacts {
  readonly pidFile: string;
}

/**
 * Every live udhcpc whose `-p` pid file lies under `stateDir`, found in /proc rather than in
 * state files: a client whose record was never written (an ADD killed right after starting it)
 * or was lost still shows up.
 */
export function findDhcpClients(stateDir: string): FoundDhcpClient[] {
  const prefix = `${stateDir.replace(/\/+$/, "")}/`;
  const found: FoundDhcpClient[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const facts = readProcessFacts(Number(entry.name));
    if (facts === undefined || facts.state === "Z" || !isUdhcpc(facts.argv[0])) continue;
    const pidFile = pidFileArg(facts.argv);
    if (pidFile?.startsWith(prefix)) found.push({ ...facts, pidFile });
  }
  return found.sort((a, b) => a.pid - b.pid);
}
