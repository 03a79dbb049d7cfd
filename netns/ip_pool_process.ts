/**
 * One long-lived `ip -force -j [-d] -batch -` process: lines in on stdin, one at a time, each
 * followed by two marker lines so that its stdout and its stderr can be told apart from the
 * next one's. ip runs the lines in order and reports each failing one on stderr as
 * `Command failed -:<line number>`; so after request line N:
 *   N+1 `link show dev s/<N+1>` always fails (no interface can hold a "/"): once stderr shows
 *       `Command failed -:<N+1>`, everything line N wrote to stderr has arrived;
 *   N+2 `route get 127.x.y.z` (x.y.z unique per line) prints one JSON line naming that
 *       address: everything before it on stdout is line N's output.
 * Line N failed when stderr shows `Command failed -:N`.
 *
 * Why: Deno 2.9.6 keeps ~90 KB of native memory per spawned command with piped output, so a
 * daemon that spawns per request grows without bound; this process is spawned once.
 */
import { EXIT_TIMED_OUT, type RunResult } from "./runner.ts";

/** A line whose ip-side namespace switch failed in the child ip forked (iproute2's netns_switch). */
const NETNS_SWITCH_FAILED =
  /^(Cannot open network namespace|setting the network namespace|unshare failed|"mount --make-rslave \/" failed|mount of \/sys failed)/m;

/**
 * "host": the one process whose lines run in our own netns (ip remembers names there, see
 * ip_pool.ts); "netns": processes whose lines are `netns exec` (a fresh ip each); "inside":
 * a process started inside one named netns (`ip -n NAME`, ip_pool_netns.ts).
 */
export type BatchKind = "host" | "netns" | "inside";
const GLOBALS: Readonly<Record<BatchKind, readonly string[]>> = {
  host: ["-j", "-d"],
  netns: ["-j"],
  inside: ["-j", "-d"],
};

/** What the kernel answers when ip sends an ifindex the name no longer has. */
const STALE_FAILURE = /No such device|Invalid argument/;
/** A read whose ifindex is gone prints an empty object. */
const STALE_READ = /(^|[[,])\{\}(?=[,\]])/;

/**
 * Whether a batch ip's answer may come from its memory of names (ip_pool.ts): an ifindex that
 * name no longer has, which a fresh ip would look up again.
 */
export function looksStale(outcome: BatchOutcome): boolean {
  return outcome.code !== 0 ? STALE_FAILURE.test(outcome.stderr) : STALE_READ.test(outcome.stdout);
}

export type RetiredBecause =
  | "exited"
  | "timed-out"
  | "marker-failed"
  | "netns-switch-failed"
  | "stale"
  | "closed";

/** A line's result; `lost` when the process ended before it answered (it may have run). */
export interface BatchOutcome extends RunResult {
  readonly lost: boolean;
}

interface Pending {
  readonly requestLine: number;
  readonly stderrMarkerLine: number;
  readonly stdoutMarker: string;
  readonly resolve: (result: BatchOutcome) => void;
}

export class IpProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  #stdout = "";
  #stderr = "";
  #lines = 0;
  #pending: Pending | null = null;
  #dead = false;
  /** Why this process must not take another line, once it must not. */
  #retired: RetiredBecause | null = null;
  readonly exited: Promise<void>;

  /** `netnsName`: the named netns an "inside" process switches to (checked by the caller). */
  constructor(readonly kind: BatchKind, netnsName?: string) {
    const inside = kind === "inside" && netnsName !== undefined ? ["-n", netnsName] : [];
    this.#child = new Deno.Command("ip", {
      args: [...inside, "-force", ...GLOBALS[kind], "-batch", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    const pumps = [
      this.#pump(this.#child.stdout, (text) => this.#stdout += text),
      this.#pump(this.#child.stderr, (text) => this.#stderr += text),
    ];
    this.exited = Promise.all([this.#child.status, ...pumps]).then(([status]) => {
      this.#dead = true;
      this.#retired ??= "exited";
      // ip exits on some bad arguments (iproute2's invarg) after saying why on stderr: that
      // is the line's answer. Nothing at all means it ended before it could answer.
      const lost = this.#stdout === "" && this.#stderr === "";
      const stderr = lost
        ? `ip -batch exited (${status.signal ?? `code ${status.code}`}) before answering`
        : this.#stderr;
      this.#finish({ code: status.code || 1, stdout: "", stderr, lost });
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** False once it died, timed out or misbehaved: the pool drops it. */
  get usable(): boolean {
    return this.#retired === null;
  }

  get retiredBecause(): RetiredBecause | null {
    return this.#retired;
  }

  async #pump(stream: ReadableStream<Uint8Array>, append: (text: string) => void) {
    const decoder = new TextDecoder();
    // One buffer for the life of the process (a BYOB read hands it back): a default
    // reader would allocate a fresh 64 KiB chunk per read, which is garbage per line.
    const reader = stream.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(16 * 1024);
    try {
      for (;;) {
        const { value, done } = await reader.read(new Uint8Array(buffer));
        if (done || value === undefined) break;
        append(decoder.decode(value, { stream: true }));
        buffer = value.buffer as ArrayBuffer;
        this.#check();
      }
    } catch {
      // The pipe broke with the process: `exited` reports it.
    }
  }

  /**
   * Runs one line (words already checked by ip_pool_line.ts) and resolves what it printed
   * and whether it failed; a line still running after `timeoutMs` kills the process.
   */
  run(words: readonly string[], timeoutMs: number): Promise<BatchOutcome> {
    if (this.#pending !== null) throw new Error("An ip batch process runs one line at a time");
    if (this.#retired !== null) {
      return Promise.resolve({ code: 1, stdout: "", stderr: "ip -batch has ended", lost: true });
    }
    const requestLine = this.#lines + 1;
    const stderrMarkerLine = requestLine + 1;
    const address = markerAddress(requestLine + 2);
    this.#lines += 3;
    const text = `${words.join(" ")}\nlink show dev s/${stderrMarkerLine}\n` +
      `route get ${address}\n`;
    return new Promise<BatchOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#finish({
          code: EXIT_TIMED_OUT,
          stdout: "",
          stderr: `Timed out after ${timeoutMs} ms in ip -batch`,
          lost: false,
        });
        this.#retired ??= "timed-out";
        this.kill();
      }, timeoutMs);
      this.#pending = {
        requestLine,
        stderrMarkerLine,
        stdoutMarker: `"dst":"${address}"`,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      this.#writer.write(this.#encoder.encode(text)).catch(() => this.kill("exited"));
    });
  }

  /** Completes the pending line once both markers have arrived. */
  #check(): void {
    const p = this.#pending;
    if (p === null) return;
    const stderrEnd = findLine(this.#stderr, `Command failed -:${p.stderrMarkerLine}`);
    if (stderrEnd === null) return;
    const markerAt = this.#stdout.indexOf(p.stdoutMarker);
    const markerEnd = markerAt < 0 ? -1 : this.#stdout.indexOf("\n", markerAt);
    if (markerEnd < 0) {
      // The marker itself failed (no 127.0.0.0/8 route: loopback down): stdout cannot be
      // delimited any more, so this process must go.
      if (findLine(this.#stderr, `Command failed -:${p.stderrMarkerLine + 1}`) === null) return;
      this.#retired ??= "marker-failed";
    }
    const lineStart = markerEnd < 0 ? this.#stdout.length : this.#stdout.lastIndexOf(
      "\n",
      markerAt,
    ) + 1;
    const stdout = this.#stdout.slice(0, lineStart);
    const errText = this.#stderr.slice(0, stderrEnd.start);
    this.#stdout = markerEnd < 0 ? "" : this.#stdout.slice(markerEnd + 1);
    this.#stderr = this.#stderr.slice(stderrEnd.end);
    this.#finish(outcome(p, stdout, errText));
    // A failed switch leaves a forked copy of ip reading our stdin (iproute2 returns from
    // the child instead of exiting): this process cannot be trusted with another line.
    if (NETNS_SWITCH_FAILED.test(errText)) this.#retired ??= "netns-switch-failed";
  }

  #finish(result: BatchOutcome): void {
    const p = this.#pending;
    this.#pending = null;
    p?.resolve(result);
  }

  /** Takes no more lines; the pool closes it once its line (if any) is done. */
  retire(because: RetiredBecause): void {
    this.#retired ??= because;
  }

  /** Ends the process: stdin closed (a stray forked copy reads EOF too), then SIGKILL. */
  kill(because: RetiredBecause = "closed"): void {
    this.#retired ??= because;
    this.#writer.close().catch(() => {});
    if (this.#dead) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }

  /** Closes stdin and waits for ip to finish; SIGKILL after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    this.#retired ??= "closed";
    await this.#writer.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    this.kill();
    await this.exited;
  }
}

/** A loopback address unique to a line, for the stdout marker (127.0.0.0/8 is local). */
function markerAddress(line: number): string {
  const n = line % 0xfffffe + 1;
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Where the whole line `text` sits in `buffer` (at its start or after a newline). */
function findLine(buffer: string, text: string): { start: number; end: number } | null {
  let from = 0;
  for (;;) {
    const at = buffer.indexOf(`${text}\n`, from);
    if (at < 0) return null;
    if (at === 0 || buffer[at - 1] === "\n") return { start: at, end: at + text.length + 1 };
    from = at + 1;
  }
}

/** The request's result from its stdout and its stderr (marker lines removed). */
function outcome(p: Pending, stdout: string, errText: string): BatchOutcome {
  const failedLine = `Command failed -:${p.requestLine}`;
  const lines = errText.split("\n");
  const failed = lines.includes(failedLine);
  const stderr = lines
    .filter((l) => l !== failedLine && !l.includes(`"s/${p.stderrMarkerLine}"`))
    .join("\n");
  return { code: failed ? 1 : 0, stdout, stderr, lost: false };
}
