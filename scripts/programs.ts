/**
 * The three programs the toolkit ships, with the Deno permissions each one needs. The build
 * and compile scripts and the program files' launchers all read this one table.
 */
import { LATEST_VERSION, SUPPORTED_VERSIONS } from "../plugin/cni/supported_versions.ts";
import type { LauncherOptions, RuntimeStart, VersionAnswer } from "./launcher.ts";
export interface Program {
  /** Command name, as installed (`/opt/cni/bin/eve-bridge`, say). */
  readonly name: string;
  /** Entry point, relative to the repository root. */
  readonly entry: string;
  /** Least privilege that still does the job; all three run as root on a node. */
  readonly permissions: readonly string[];
  /** Other `deno run` flags of its launcher (and of `deno compile`). */
  readonly runFlags: readonly string[];
  /**
   * A harmless call the build makes to prepare the V8 code cache (scripts/code_cache.ts). Deno
   * writes a module's cache entry only once its event loop turns, so the call must wait on
   * async I/O before the program exits: its `stdin` (given to it late, read from stdin or as
   * the file /dev/stdin) or a socket.
   */
  readonly warmUp: WarmUp;
  /**
   * The fd its program file opens itself on (scripts/launcher.ts): Deno's code cache entry is
   * keyed by that URL, /proc/self/fd/<mainFd>, so each program needs its own.
   */
  readonly mainFd: number;
  /** A CNI plugin's VERSION answer, which its launcher gives without starting Deno. */
  readonly versionAnswer?: VersionAnswer;
}

export interface WarmUp {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
}

// All three read /proc (process liveness in /proc/<pid>/stat, netns identity via
// /proc/<pid>/ns/net), and Deno 2.x refuses any /proc/<pid> read unless the program runs with
// --allow-all ("Requires all access to /proc/..."); no narrower flag grants it. Without it the
// built fake-zedrouter hangs waiting for dnsmasq and never serves. None of the programs opens
// an IP socket; they run as root on a node anyway.
const NODE_TOOL = ["--allow-all"];

// A daemon with a small live heap under a steady stream of short calls: V8's young generation
// (up to 16 MB per semi-space by default) would grow to its maximum and stay there, so RSS
// creeps up by ~50 MB over the first thousand churn cycles before it levels off. 2 MB keeps
// the plateau near where it starts (bench:soak: 1.09x after 100 cycles vs 1.57x by default).
const DAEMON = ["--v8-flags=--max-semi-space-size=2"];

// A CNI plugin is a new process per call, and its code cache is prepared by a VERSION call
// (warmUp): V8 compiles functions lazily, on their first call, so the cache holds only what
// VERSION ran and every ADD/DEL compiled the rest again (~15 ms of CPU per call, eth0's
// "config, checks" slice included). --no-lazy compiles the whole program when the cache is
// made, so every call finds all of it there. Measured (perf stat task-clock, p50 of 20
// interleaved calls, same run): eth0 ADD 101.7 -> 86.4 ms, net1 ADD 149.7 -> 128.3 ms, net1
// DEL 114.2 -> 84.0 ms. The cache grows 148 -> 667 KB, which a VERSION answered by Deno pays
// in reading it (31.3 vs 27.4 ms lazily, 80 interleaved calls); the launcher answers libcni's
// plain VERSION itself (scripts/launcher.ts), so that is only the odd caller's cost.
// V8's `//# allFunctionsCalledOnLoad` hint gave less (eth0 ADD 91.8 ms: Deno does not ask V8
// to follow it). The price: the Deno modules a call loads on first use (its process module,
// for the first Deno.Command or Deno.kill) are compiled whole too, ~10 ms instead of ~5.
// Without a warm cache, --no-lazy costs more per call than lazy compiling; the launcher always
// has one. A young generation that starts at 8 MB (V8 starts at 1 MB and scavenges as it
// grows) spares a short call most of its scavenges: -4 to -5 ms of CPU on each of eth0 and
// net1 ADD/DEL (task-clock p50 of 20 interleaved calls: eth0 ADD 69.9 -> 64.3, net1 ADD
// 86.8 -> 82.1), which counts on a 2-core node in a burst.
// V8 leaves source positions out of the code it compiles (and so out of the cache) and
// compiles a function again to find them when an Error's stack needs them: an Error made while
// the module's top level is on the stack recompiles the whole program (VERSION answered by
// Deno with a stdin JSON.parse refuses: 51.5 -> 35.4 ms task-clock, p50 of 25 interleaved
// calls; any refusal of a config, ADD 42.6 -> 40.6). --no-enable-lazy-source-positions
// keeps them in the cache (605 -> 665 KB); eth0 and net1 ADD/DEL that succeed were unchanged
// (within 2 ms either way, 25 interleaved cycles through libcni).
// --jitless: a call lives ~50-150 ms, too short for V8's optimising tiers to pay back what
// they cost (background compile threads, executable memory and its protection switches); the
// bytecode in the cache is what runs. Task-clock p50 of 25 interleaved cycles through libcni,
// with vs without: eth0 ADD 65.1 -> 57.6 ms, eth0 DEL 61.0 -> 57.4, net1 ADD 75.3 -> 69.9,
// net1 DEL 54.1 -> 51.7 (no optimising tiers but keeping the JIT: 61.3, 59.6, 70.3, 49.9).
// The CPU a burst of attachments has is what limits it (bench:attach). No WebAssembly runs
// without a JIT; none of eve-bridge's code or packages uses it.
const PER_CALL_PLUGIN = [
  "--v8-flags=--no-lazy,--min-semi-space-size=8,--no-enable-lazy-source-positions,--jitless",
];

export const PROGRAMS: readonly Program[] = [
  {
    name: "eve-bridge",
    entry: "plugin/eve-bridge/main.ts",
    permissions: NODE_TOOL,
    runFlags: PER_CALL_PLUGIN,
    // Not the plain `{"cniVersion":"1.0.0"}`, which the launcher answers without Deno.
    warmUp: { env: { CNI_COMMAND: "VERSION" }, stdin: '{ "cniVersion": "1.0.0" }' },
    mainFd: 7,
    versionAnswer: { supported: SUPPORTED_VERSIONS, latest: LATEST_VERSION },
  },
  {
    name: "fake-zedrouter",
    entry: "cli/fake-zedrouter/main.ts",
    permissions: NODE_TOOL,
    runFlags: DAEMON,
    // Polls a socket that is not there for 0.2 s (its config reads are synchronous).
    warmUp: { args: ["wait", "--socket", "/nonexistent/fake-zedrouter.sock", "--timeout", "0.2"] },
    mainFd: 8,
  },
  {
    name: "eve-cni-debug",
    entry: "cli/eve-cni-debug/main.ts",
    permissions: NODE_TOOL,
    runFlags: [],
    warmUp: { args: ["--log-file", "/dev/stdin", "logs"], stdin: "" },
    mainFd: 9,
  },
];

/** The launcher options of `program`'s file: its table row, with where Deno and its cache are. */
export function launcherOptions(
  program: Program,
  version: string,
  runtime: RuntimeStart,
  cacheDir: string,
): LauncherOptions {
  return {
    name: program.name,
    version,
    permissions: program.permissions,
    runFlags: program.runFlags,
    runtime,
    cacheDir,
    mainFd: program.mainFd,
    ...(program.versionAnswer && { versionAnswer: program.versionAnswer }),
  };
}
