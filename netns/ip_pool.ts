/**
 * A Runner for daemons: `ip` commands (in our netns or a named one) and `sysctl` in a named
 * netns go to a few long-lived `ip -batch -` processes instead of a spawn each; anything
 * else (ip_pool_line.ts says what) is handed to the fallback runner. Results are the same
 * as a spawn's: stdout, stderr as ip prints it, a non-zero code when the command failed.
 *
 * Measured on Deno 2.9.6: a spawn with piped output keeps ~80-110 KB of native memory, a
 * line sent to a running ip keeps none; a `netns exec` line forks inside ip, not here.
 *
 * One iproute2 trait shapes this: in batch mode ip remembers the ifindex of every interface
 * name it has looked up or listed, for the life of the process, and acts on that ifindex
 * later. A line in a named netns is a fresh ip (forked by `netns exec`) and remembers
 * nothing. Lines in our own netns all go to ONE process, so its own deletes make it forget
 * (iproute2 drops a link from its memory after changing it): only a change made by someone
 * else (a pod netns deleted with its veth, a bridge replaced) leaves it an old ifindex. The
 * kernel then answers "No such device" / "Invalid argument", or a read prints an empty
 * object; that process is replaced (the new one remembers nothing) and the line runs again,
 * so an outside change costs one spawn, never a wrong answer about a link by name.
 */
import { type BatchCommand, toBatchCommand } from "./ip_pool_line.ts";
import { NetnsSessions } from "./ip_pool_netns.ts";
import { type BatchKind, type BatchOutcome, IpProcess, looksStale } from "./ip_pool_process.ts";
import { netnsInode } from "./namespaces.ts";
import { type Runner, type RunOptions, type RunResult, systemRunner } from "./runner.ts";
import { NETNS_RUN_DIR } from "./target.ts";

export interface IpPoolOptions {
  /** ip processes for `netns exec` lines at once; more lines wait (default 2). Lines in our
   * own netns always have one process of their own. */
  readonly netnsProcesses?: number;
  /** ips living inside a named netns at once (ip_pool_netns.ts; default 8, 0 for none). */
  readonly insideProcesses?: number;
  /** How long such an ip waits for the next line in its netns before it ends (default 1 s). */
  readonly insideIdleMs?: number;
  /** A line that runs longer kills its process (default 30 s, or the call's timeoutMs). */
  readonly timeoutMs?: number;
  /** Runs what cannot be batched (default: systemRunner). */
  readonly fallback?: Runner;
  /** Told once when batching stops working and everything falls back to spawning. */
  readonly log?: (message: string) => void;
}

export interface IpPoolStats {
  /** Lines run by a batch process. */
  readonly lines: number;
  /** Commands handed to the fallback runner. */
  readonly fallbacks: number;
  /** ip batch processes started (each one spawn), those inside a named netns included. */
  readonly processesStarted: number;
  /** Of those, the ones started inside a named netns. */
  readonly insideStarted: number;
  /** Lines run again on fresh processes because ip's name memory was stale. */
  readonly staleRetries: number;
  /** Pids of the ip batch processes that take lines now. */
  readonly pids: readonly number[];
}

export interface IpPoolRunner extends Runner {
  stats(): IpPoolStats;
  /**
   * The caller is done with this named netns for now: the ip living inside it (if any) ends,
   * so it no longer keeps a deleted netns, and the veths in it, alive. Resolves once it has.
   */
  leave(netnsName: string): Promise<void>;
  /** Ends the batch processes; later calls start new ones. */
  close(): Promise<void>;
}

export function ipPoolRunner(options: IpPoolOptions = {}): IpPoolRunner {
  const pool = new ProcessPool({ host: 1, netns: options.netnsProcesses ?? 2 });
  const inside = new NetnsSessions(options.insideProcesses ?? 8, options.insideIdleMs ?? 1000);
  const fallback = options.fallback ?? systemRunner;
  const counts = { fallbacks: 0, staleRetries: 0 };
  let broken = false;

  const runLine = async (command: BatchCommand, timeoutMs: number): Promise<BatchOutcome> => {
    const process = await pool.acquire(command.netnsName === null ? "host" : "netns");
    try {
      return await process.run(command.words, timeoutMs);
    } finally {
      if (process.retiredBecause === "marker-failed" && !broken) {
        broken = true;
        options.log?.(
          "ip -batch cannot frame its output (no 127.0.0.0/8 route: loopback down?); " +
            "spawning per command from now on",
        );
      }
      pool.release(process);
    }
  };

  const runner = async (argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> => {
    const plain = opts.stdin === undefined && opts.env === undefined && !broken;
    const command = plain ? toBatchCommand(argv) : undefined;
    if (command === undefined) {
      counts.fallbacks++;
      return await fallback(argv, opts);
    }
    const timeoutMs = opts.timeoutMs ?? options.timeoutMs ?? 30_000;
    let outcome: BatchOutcome | undefined;
    if (command.netnsName !== null) {
      const inode = await netnsInode(`${NETNS_RUN_DIR}/${command.netnsName}`);
      if (inode === undefined) {
        // ip would fork a child that fails to switch and then reads our stdin (iproute2 lets
        // it return into the batch loop): answer as ip would, without sending the line.
        const stderr = `Cannot open network namespace "${command.netnsName}": ` +
          "No such file or directory";
        return { code: 1, stdout: "", stderr };
      }
      outcome = await inside.run(command, inode, timeoutMs);
      if (outcome !== undefined) {
        return { code: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr };
      }
    }
    outcome = await runLine(command, timeoutMs);
    if (outcome.lost && command.read) {
      // The ip ended before answering (killed while idle, say): a read runs again on a new
      // one; a write is reported as it is, since it may have been done.
      outcome = await runLine(command, timeoutMs);
    } else if (command.netnsName === null && looksStale(outcome)) {
      counts.staleRetries++;
      pool.retire("host");
      outcome = await runLine(command, timeoutMs);
    }
    return { code: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr };
  };

  return Object.assign(runner, {
    stats: (): IpPoolStats => ({
      lines: pool.counts.lines + inside.lines,
      processesStarted: pool.counts.processesStarted + inside.started,
      insideStarted: inside.started,
      ...counts,
      pids: [...pool.pids(), ...inside.pids()],
    }),
    leave: (netnsName: string) => inside.leave(netnsName),
    close: async () => {
      await Promise.all([pool.close(), inside.close()]);
    },
  });
}

/** The kinds this pool holds (an "inside" ip belongs to its netns's session). */
type PooledKind = Exclude<BatchKind, "inside">;

/** Up to `limits[kind]` processes of each kind; a line waits for a free one. */
class ProcessPool {
  readonly #kinds = new Map<BatchKind, {
    idle: IpProcess[];
    all: Set<IpProcess>;
    waiting: ((p: IpProcess) => void)[];
  }>();
  readonly counts = { lines: 0, processesStarted: 0 };

  constructor(private readonly limits: Readonly<Record<PooledKind, number>>) {}

  #kind(kind: BatchKind) {
    let k = this.#kinds.get(kind);
    if (!k) this.#kinds.set(kind, k = { idle: [], all: new Set(), waiting: [] });
    return k;
  }

  /** A process that takes lines now (one retired while the caller waited is skipped). */
  async acquire(kind: PooledKind): Promise<IpProcess> {
    for (;;) {
      const p = await this.#next(kind);
      if (p.usable) {
        this.counts.lines++;
        return p;
      }
      this.release(p);
    }
  }

  #next(kind: PooledKind): Promise<IpProcess> {
    const k = this.#kind(kind);
    for (let p = k.idle.pop(); p !== undefined; p = k.idle.pop()) {
      if (p.usable) return Promise.resolve(p);
      this.#drop(p);
    }
    if (k.all.size < this.limits[kind]) return Promise.resolve(this.#start(kind));
    return new Promise((resolve) => k.waiting.push(resolve));
  }

  #start(kind: PooledKind): IpProcess {
    const p = new IpProcess(kind);
    this.counts.processesStarted++;
    this.#kind(kind).all.add(p);
    return p;
  }

  #drop(p: IpProcess): void {
    this.#kind(p.kind).all.delete(p);
    void p.close();
  }

  release(p: IpProcess): void {
    const k = this.#kind(p.kind);
    if (!p.usable) this.#drop(p);
    const next = k.waiting.shift();
    if (next === undefined) {
      if (p.usable) k.idle.push(p);
    } else next(p.usable ? p : this.#start(p.kind as PooledKind)); // only pooled kinds get here
  }

  /** The processes of `kind` take no more lines (those running finish theirs). */
  retire(kind: PooledKind): void {
    for (const p of this.#kind(kind).all) p.retire("stale");
  }

  pids(): number[] {
    return [...this.#kinds.values()].flatMap((kind) =>
      [...kind.all].filter((p) => p.usable).map((p) => p.pid)
    );
  }

  async close(): Promise<void> {
    const all = [...this.#kinds.values()].flatMap((kind) => [...kind.all]);
    this.#kinds.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}
