/**
 * The trust rule for eve-bridge's node paths (README "Security"): the config fields that
 * decide where root writes (`stateDir`: records, pid files, udhcpc's hook scripts, which
 * udhcpc runs as root in the host's mount namespace) and what it talks to (`zedrouterSocket`,
 * `dhcpDaemonSocket`) are used only when nobody but root can change what they name: the
 * state dir and the sockets' directories are trusted directories (core/trusted_dir.ts: owned
 * by root, not group/world-writable, all the way up). A NAD is namespace-user input; EVE's NAD
 * sets none of these, and one that does is held to the same rule, so it can at most choose
 * another root-owned place. Checked on every command before anything is read or written
 * there; a failure is code 7 naming the field and the component that broke the rule.
 * (`logFile` is checked where the log is opened, plugin/cni/log_file.ts.)
 */
import {
  ensureTrustedDirectory,
  entryExistsSync,
  isTrustedDirectory,
  parentDirectory,
  UntrustedPathError,
} from "../../core/mod.ts";
import { CniError, CniErrorCode } from "../cni/mod.ts";
import type { EveBridgeConfig } from "./config.ts";

/** Code 7 for `field` when `directory` is not trusted (made 0700 when `create` and missing). */
export function requireTrustedDirectory(field: string, directory: string, create: boolean): void {
  try {
    ensureTrustedDirectory(directory, create ? { create: true, mode: 0o700 } : {});
  } catch (error) {
    if (!(error instanceof UntrustedPathError)) throw error;
    throw new CniError(
      CniErrorCode.InvalidConfig,
      `"${field}" is not in a trusted directory: ${error.message}`,
      "root writes or executes there only when nobody else can change it: make every " +
        "directory on the path owned by root and not writable by group or others, or set " +
        `"${field}" to such a place (the default)`,
    );
  }
}

/** Checks the state dir (made when missing) and the sockets' directories (when they exist). */
export function checkNodePaths(config: EveBridgeConfig): void {
  requireTrustedDirectory("stateDir", config.stateDir, true);
  checkSocketDirectories(config);
}

/**
 * checkNodePaths for DEL, which must finish where nothing can be made: a state dir that is
 * missing and cannot be made (a read-only or full file system) holds nothing to undo, so DEL
 * goes on without one (`warn` says why). Only when its nearest existing ancestor is trusted:
 * then nobody else can make it either, and DEL's own attempts (its lock) fail the same way,
 * so nothing is written or run in a place someone else controls.
 */
export function checkNodePathsForDel(
  config: EveBridgeConfig,
  warn: (error: unknown) => void,
): void {
  try {
    requireTrustedDirectory("stateDir", config.stateDir, true);
  } catch (error) {
    let ancestor = config.stateDir;
    while (!entryExistsSync(ancestor)) ancestor = parentDirectory(ancestor);
    if (ancestor === config.stateDir || !isTrustedDirectory(ancestor)) throw error;
    warn(error);
  }
  checkSocketDirectories(config);
}

function checkSocketDirectories(config: EveBridgeConfig): void {
  for (const field of ["zedrouterSocket", "dhcpDaemonSocket"] as const) {
    // A missing directory holds no socket: the dial fails on its own, with its own error.
    const dir = parentDirectory(config[field]);
    if (entryExistsSync(dir)) requireTrustedDirectory(field, dir, false);
  }
}
