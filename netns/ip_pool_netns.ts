/**
 * An ip that lives inside one named netns for a short while (`ip -n NAME -j -d -batch -`), so
 * that a pod's commands close together (fake-zedrouter's veth, then its L3 once DHCP is done)
 * cost a line each instead of a `netns exec` line each: iproute2 forks, unshares a mount
 * namespace, mounts sysfs and execs a fresh ip for every one of those. Measured here: 4.1 ms
 * of CPU per `netns exec` line against 0.05 ms per line for an ip already inside.
 *
 * Such an ip keeps its netns alive, and a deleted pod netns takes its veth with it only once
 * nothing holds it. So a session ends when its user says it is done with the netns (`leave`:
 * fake-zedrouter after a pod's L3 and at its DisconnectPod), after `idleMs` without a line
 * (for whoever does not say), when the name comes to mean another netns (the caller passes
 * the inode it sees now), and at close. Anything a session cannot answer for sure (no
 * loopback in the pod for the output markers, a name ip remembers with an old ifindex, a
 * read that lost its process) is left to the caller, which sends the `netns exec` line.
 */
import type { BatchCommand } from "./ip_pool_line.ts";
import { type BatchOutcome, IpProcess, looksStale } from "./ip_pool_process.ts";

interface Session {
  readonly process: IpProcess;
  /** The netns file's inode when the session started: the namespace it is inside. */
  readonly inode: number;
  /** The last line queued (lines of one netns run one after another). */
  tail: Promise<unknown>;
  queued: number;
  idle: ReturnType<typeof setTimeout> | undefined;
}

/** Names without a loopback up are remembered, up to this many (then forgotten at once). */
const MAX_REMEMBERED = 1024;

export class NetnsSessions {
  readonly #sessions = new Map<string, Session>();
  /** Netns where the output markers failed (loopback down): their lines stay `netns exec`. */
  readonly #noLoopback = new Set<string>();
  /** Sessions started, and lines sent to them. */
  started = 0;
  lines = 0;

  constructor(private readonly limit: number, private readonly idleMs: number) {}

  /**
   * Runs `command` (whose netns file has inode `inode` now) on its netns's session, started if
   * need be; undefined when it must go as a `netns exec` line instead.
   */
  async run(
    command: BatchCommand,
    inode: number,
    timeoutMs: number,
  ): Promise<BatchOutcome | undefined> {
    const name = command.netnsName;
    const words = command.inNetns;
    if (name === null || words === null || this.#noLoopback.has(name)) return undefined;
    const session = this.#session(name, inode);
    if (session === undefined) return undefined;
    clearTimeout(session.idle);
    session.queued++;
    // A line whose turn comes after its session ended was never sent: undefined.
    const line = session.tail.then(() => {
      if (!session.process.usable) return undefined;
      this.lines++;
      return session.process.run(words, timeoutMs);
    });
    session.tail = line.catch(() => {});
    let outcome: BatchOutcome | undefined;
    try {
      outcome = await line;
    } finally {
      if (--session.queued === 0 && this.#sessions.get(name) === session) {
        session.idle = setTimeout(() => this.#end(name, session), this.idleMs);
      }
    }
    return outcome === undefined ? undefined : this.#judge(name, session, command, outcome);
  }

  /** The outcome as it stands, or undefined (and the session ended) when it cannot be trusted. */
  #judge(
    name: string,
    session: Session,
    command: BatchCommand,
    outcome: BatchOutcome,
  ): BatchOutcome | undefined {
    const retired = session.process.retiredBecause;
    if (retired === "marker-failed") {
      if (this.#noLoopback.size >= MAX_REMEMBERED) this.#noLoopback.clear();
      this.#noLoopback.add(name);
    }
    if (retired !== null) this.#end(name, session);
    // Lost before answering: a read may run again; a write may have been done, so it stands.
    if (outcome.lost) return command.read ? undefined : outcome;
    if (looksStale(outcome)) {
      // ip remembered the name with an ifindex someone else has since deleted: a fresh ip
      // (the `netns exec` line) looks it up again.
      this.#end(name, session);
      return undefined;
    }
    return outcome;
  }

  #session(name: string, inode: number): Session | undefined {
    const known = this.#sessions.get(name);
    if (known !== undefined && known.inode === inode && known.process.usable) return known;
    if (known !== undefined) this.#end(name, known);
    if (this.#sessions.size >= this.limit) return undefined;
    const session: Session = {
      process: new IpProcess("inside", name),
      inode,
      tail: Promise.resolve(),
      queued: 0,
      idle: undefined,
    };
    this.started++;
    this.#sessions.set(name, session);
    return session;
  }

  #end(name: string, session: Session): void {
    clearTimeout(session.idle);
    if (this.#sessions.get(name) === session) this.#sessions.delete(name);
    // Lines already queued on it still run (close waits for ip to read them all).
    void session.process.close();
  }

  /** Ends the session inside `name`, if any, once its queued lines are done; resolves at exit. */
  async leave(name: string): Promise<void> {
    const session = this.#sessions.get(name);
    if (session === undefined) return;
    await session.tail;
    this.#end(name, session);
    await session.process.exited;
  }

  pids(): number[] {
    return [...this.#sessions.values()].map((s) => s.process.pid);
  }

  async close(): Promise<void> {
    const all = [...this.#sessions.entries()];
    for (const [name, session] of all) this.#end(name, session);
    await Promise.all(all.map(([, s]) => s.process.exited));
  }
}
