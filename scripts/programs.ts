/**
 * The three programs the toolkit ships, with the Deno permissions each one needs. The build
 * and compile scripts and the launchers all read this one table.
 */
export interface Program {
  /** Command name, as installed (`/opt/cni/bin/eve-bridge`, say). */
  readonly name: string;
  /** Entry point, relative to the repository root. */
  readonly entry: string;
  /** Least privilege that still does the job; all three run as root on a node. */
  readonly permissions: readonly string[];
}

// Unix sockets need read+write on their path; subprocesses need --allow-run; LogTape's file
// sink and state files need write. None of the programs opens an IP socket.
const NODE_TOOL = [
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys=hostname,osRelease",
];

export const PROGRAMS: readonly Program[] = [
  { name: "eve-bridge", entry: "cli/eve_bridge.ts", permissions: NODE_TOOL },
  { name: "fake-zedrouter", entry: "cli/fake_zedrouter.ts", permissions: NODE_TOOL },
  { name: "eve-cni-debug", entry: "cli/eve_cni_debug.ts", permissions: NODE_TOOL },
];
