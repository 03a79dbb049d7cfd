/**
 * What `replay` checks before it runs a logged invocation as root (issue 17): a log line is
 * only as trustworthy as the file it came from, and a forged one could name another state
 * dir, socket, log or netns. So the same rules as a live call apply, and a replay that breaks
 * one is shown (with why) but not run:
 *
 * - the log it read lies in a trusted directory and is a log file of ours (no symlink);
 * - the plugin it would execute, and its directory, are root's and not group/world-writable;
 * - the config's node paths (`stateDir`, `logFile`, `zedrouterSocket`, `dhcpDaemonSocket`)
 *   are in trusted directories, as eve-bridge requires (plugin/eve-bridge/node_paths.ts);
 * - CNI_NETNS passes eve-bridge's own netns guard (a named or /proc netns, not our own).
 */
import {
  ensureTrustedDirectory,
  entryExistsSync,
  errorMessage,
  ownFileProblem,
  parentDirectory,
} from "../../core/mod.ts";
import { guardNetns } from "../../plugin/cni/netns_guard.ts";

function trustedDir(what: string, dir: string): string | undefined {
  try {
    ensureTrustedDirectory(dir);
    return undefined;
  } catch (error) {
    return `${what}: ${errorMessage(error)}`;
  }
}

/** A program root would execute: its real file and directory are root's, not writable by others. */
function programProblem(path: string): string | undefined {
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch (error) {
    return `plugin "${path}": ${errorMessage(error)}`;
  }
  const dir = trustedDir(`plugin "${path}"`, parentDirectory(real));
  if (dir !== undefined) return dir;
  const info = Deno.statSync(real);
  if (info.uid !== 0 && info.uid !== Deno.uid()) {
    return `plugin "${real}" is owned by uid ${info.uid}`;
  }
  if (((info.mode ?? 0) & 0o022) !== 0) return `plugin "${real}" is writable by group or others`;
  return undefined;
}

function configProblems(stdin: string): string[] {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(stdin);
  } catch {
    return []; // the plugin says what is wrong with it: nothing is trusted from it here
  }
  const out: string[] = [];
  const stateDir = config.stateDir;
  if (typeof stateDir === "string") {
    // A live call makes a missing state dir: then its parent must be trusted.
    const problem = trustedDir(
      "stateDir",
      entryExistsSync(stateDir) ? stateDir : parentDirectory(stateDir),
    );
    if (problem) out.push(problem);
  }
  for (const field of ["logFile", "zedrouterSocket", "dhcpDaemonSocket"]) {
    const path = config[field];
    if (typeof path !== "string") continue;
    const problem = trustedDir(field, parentDirectory(path));
    if (problem) out.push(problem);
  }
  return out;
}

/** Every reason not to run the replay; empty when it may run. */
export function replayRefusals(input: {
  readonly logFile: string;
  readonly plugin: string;
  readonly stdin: string;
  readonly netns: string | undefined;
}): string[] {
  const out: string[] = [];
  const logDir = trustedDir(`log "${input.logFile}"`, parentDirectory(input.logFile));
  if (logDir) out.push(logDir);
  const logFile = ownFileProblem(input.logFile, {});
  if (logFile !== undefined && logFile !== "missing") out.push(`log "${input.logFile}" ${logFile}`);
  const plugin = programProblem(input.plugin);
  if (plugin) out.push(plugin);
  out.push(...configProblems(input.stdin));
  if (input.netns !== undefined) {
    try {
      guardNetns(input.netns, false);
    } catch (error) {
      const details = (error as { details?: string })?.details;
      out.push(`CNI_NETNS: ${errorMessage(error)}${details ? `: ${details}` : ""}`);
    }
  }
  return out;
}
