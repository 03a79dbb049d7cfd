/**
 * The three programs the toolkit ships, with the Deno permissions each one needs. The build
 * and compile scripts and the program files' launchers all read this one table.
 */
export interface Program {
  /** Command name, as installed (`/opt/cni/bin/eve-bridge`, say). */
  readonly name: string;
  /** Entry point, relative to the repository root. */
  readonly entry: string;
  /** Least privilege that still does the job; all three run as root on a node. */
  readonly permissions: readonly string[];
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

export const PROGRAMS: readonly Program[] = [
  {
    name: "eve-bridge",
    entry: "plugin/eve-bridge/main.ts",
    permissions: NODE_TOOL,
    warmUp: { env: { CNI_COMMAND: "VERSION" }, stdin: '{"cniVersion":"1.0.0"}' },
    mainFd: 7,
  },
  {
    name: "fake-zedrouter",
    entry: "cli/fake-zedrouter/main.ts",
    permissions: NODE_TOOL,
    // Polls a socket that is not there for 0.2 s (its config reads are synchronous).
    warmUp: { args: ["wait", "--socket", "/nonexistent/fake-zedrouter.sock", "--timeout", "0.2"] },
    mainFd: 8,
  },
  {
    name: "eve-cni-debug",
    entry: "cli/eve-cni-debug/main.ts",
    permissions: NODE_TOOL,
    warmUp: { args: ["--log-file", "/dev/stdin", "logs"], stdin: "" },
    mainFd: 9,
  },
];
