/**
 * Trusted directories: where a program running as root may write files or execute them from.
 * A directory is trusted when nobody but root (or the program's own user) can change what its
 * path names, from `/` down:
 *
 * - every directory on the way, the symlinks' targets included, is owned by root (or by the
 *   running user) and is not writable by group or others;
 * - one exception for ancestors: a sticky directory such as `/tmp` (1777) may be writable by
 *   everyone, because in it only an entry's owner (or root) can rename or remove that entry,
 *   so the root-owned entry below it stays root's. The directory itself never may be;
 * - a symlink on the way counts only where it lies in a trusted directory and is owned by a
 *   trusted owner; its target is checked the same way.
 *
 * Synchronous on purpose: eve-bridge calls it on every invocation (a few lstat calls) and a
 * promise per component would cost more than the checks. fake-zedrouter and eve-cni-debug
 * use the same rule for their own directories. Callers turn `UntrustedPathError` into their
 * own error (eve-bridge: CNI code 7 naming the config field).
 */

import { describeOsError } from "./errors.ts";

/** A directory that does not meet the rule; `path` is the component that broke it. */
export class UntrustedPathError extends Error {
  /** The directory the caller asked about. */
  readonly directory: string;
  /** The component (the directory itself or an ancestor, or a symlink) that failed. */
  readonly path: string;
  /** What is wrong and what to do, in one sentence. */
  readonly problem: string;

  constructor(directory: string, path: string, problem: string) {
    super(
      path === directory
        ? `"${directory}" is not a trusted directory: ${problem}`
        : `"${directory}" is not a trusted directory: "${path}" ${problem}`,
    );
    this.name = "UntrustedPathError";
    this.directory = directory;
    this.path = path;
    this.problem = problem;
  }
}

export interface TrustedDirectoryOptions {
  /** Make the missing directories (each with `mode`); otherwise a missing one is an error. */
  readonly create?: boolean;
  /** Permission bits of directories this call makes (default 0o700). */
  readonly mode?: number;
}

/** Symlinks followed while checking one path, as Linux's own limit (MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function trustedOwners(): ReadonlySet<number> {
  return new Set([0, Deno.uid() ?? 0]);
}

/**
 * Checks that `path` (absolute) is a trusted directory, making the missing part when
 * `options.create` is set. Throws UntrustedPathError naming the component that is not.
 */
export function ensureTrustedDirectory(path: string, options: TrustedDirectoryOptions = {}): void {
  if (!path.startsWith("/") || path.includes("\0")) {
    throw new UntrustedPathError(path, path, "is not an absolute path");
  }
  const walk = { directory: path, options, symlinks: MAX_SYMLINKS, owners: trustedOwners() };
  checkChain(walk, path, false);
}

/** True when `path` is a trusted directory (nothing is made). */
export function isTrustedDirectory(path: string): boolean {
  try {
    ensureTrustedDirectory(path);
    return true;
  } catch (error) {
    if (error instanceof UntrustedPathError) return false;
    throw error;
  }
}

function components(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/** One check: what the caller asked about (for the error) and what the walk may still do. */
interface Walk {
  readonly directory: string;
  readonly options: TrustedDirectoryOptions;
  symlinks: number;
  readonly owners: ReadonlySet<number>;
}

/**
 * Walks `path` from `/`, checking each component against its parent. `path` is the caller's
 * directory or a symlink's target; `stickyAtEnd` tells whether its last component is an
 * ancestor of the caller's directory (a symlink in the middle), where sticky is allowed.
 */
function checkChain(walk: Walk, path: string, stickyAtEnd: boolean): void {
  const { directory, owners } = walk;
  let current = "/";
  const parts = components(path);
  let parent = statDirectory(directory, current, owners, parts.length > 0 || stickyAtEnd);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "..") throw new UntrustedPathError(directory, path, 'contains ".."');
    const next = current === "/" ? `/${part}` : `${current}/${part}`;
    const stickyAllowed = i < parts.length - 1 || stickyAtEnd;
    const info = lstatOrCreate(walk, next);
    checkEntryOwner(directory, next, info, parent, owners);
    if (info.isSymlink) {
      if (--walk.symlinks < 0) {
        throw new UntrustedPathError(directory, next, "has too many levels of symlinks");
      }
      checkChain(walk, realPath(directory, next), stickyAllowed);
      parent = statDirectory(directory, next, owners, stickyAllowed);
    } else {
      parent = checkDirectory(directory, next, info, owners, stickyAllowed);
    }
    current = next;
  }
}

/** The component's lstat, making it first when it is missing and the caller asked for that. */
function lstatOrCreate(walk: Walk, path: string): Deno.FileInfo {
  const info = lstatOrUndefined(walk.directory, path);
  if (info !== undefined) return info;
  if (!walk.options.create) throw new UntrustedPathError(walk.directory, path, "does not exist");
  makeDirectory(walk.directory, path, walk.options.mode ?? 0o700);
  const made = lstatOrUndefined(walk.directory, path);
  if (made === undefined) throw new UntrustedPathError(walk.directory, path, "vanished");
  return made;
}

/** An entry in a world-writable sticky parent must be our own (only its owner may move it). */
function checkEntryOwner(
  directory: string,
  path: string,
  info: Deno.FileInfo,
  parent: Deno.FileInfo,
  owners: ReadonlySet<number>,
): void {
  const sticky = ((parent.mode ?? 0) & STICKY) !== 0;
  if (sticky && !owners.has(info.uid ?? -1)) {
    throw new UntrustedPathError(
      directory,
      path,
      `is owned by uid ${info.uid} in a sticky directory; only root's entries are trusted there`,
    );
  }
}

function checkDirectory(
  directory: string,
  path: string,
  info: Deno.FileInfo,
  owners: ReadonlySet<number>,
  stickyAllowed: boolean,
): Deno.FileInfo {
  if (!info.isDirectory) throw new UntrustedPathError(directory, path, "is not a directory");
  if (!owners.has(info.uid ?? -1)) {
    throw new UntrustedPathError(
      directory,
      path,
      `is owned by uid ${info.uid}; make it owned by root (chown root:root)`,
    );
  }
  const mode = info.mode ?? 0;
  const writable = (mode & GROUP_OR_OTHER_WRITE) !== 0;
  if (writable && !(stickyAllowed && (mode & STICKY) !== 0)) {
    const octal = (mode & 0o7777).toString(8).padStart(4, "0");
    throw new UntrustedPathError(
      directory,
      path,
      `is writable by group or others (mode ${octal}); chmod go-w it or choose another directory`,
    );
  }
  return info;
}

function statDirectory(
  directory: string,
  path: string,
  owners: ReadonlySet<number>,
  stickyAllowed: boolean,
): Deno.FileInfo {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    throw new UntrustedPathError(directory, path, `cannot be read (${describeOsError(error)})`);
  }
  return checkDirectory(directory, path, info, owners, stickyAllowed);
}

function lstatOrUndefined(directory: string, path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UntrustedPathError(directory, path, `cannot be read (${describeOsError(error)})`);
  }
}

function makeDirectory(directory: string, path: string, mode: number): void {
  try {
    Deno.mkdirSync(path, { mode });
    // mkdir's mode is masked by the umask; the directory must have exactly `mode`.
    Deno.chmodSync(path, mode);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return; // checked by the caller
    throw new UntrustedPathError(directory, path, `cannot be created (${describeOsError(error)})`);
  }
}

function realPath(directory: string, path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch (error) {
    throw new UntrustedPathError(
      directory,
      path,
      `is a symlink that does not resolve (${describeOsError(error)})`,
    );
  }
}
