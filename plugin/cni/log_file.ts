/**
 * Where a CNI invocation's log may go. The plugin runs as root and its config may come from a
 * NAD (namespace-user input), so before `logFile` is handed, open, to the file sink (it
 * appends, and its rotation renames `<file>` to `<file>.1` ... `<file>.N`):
 *
 * - the file's directory must be a trusted directory (core/trusted_dir.ts): then nobody but
 *   root can plant a symlink or swap a file between this check and the open;
 * - the file must be absent or a log of ours: a regular file (never a symlink), owned by root
 *   or the running user, one link, empty or starting with a JSON log line. So an existing
 *   non-log file (a database, `/etc/shadow`) is never appended to;
 * - each rotation name must be the same, checked when the file is about to be rotated
 *   (rotationProblem, called by the sink), so a non-log file is never rotated away. Checking
 *   them on every call instead cost each invocation 3 more lstat+open+read rounds (8-19 ms
 *   under a burst's load, issue 11); the trusted directory means only root could have put a
 *   name there in between;
 * - a missing log file is created here, exclusively (never through an existing name).
 *
 * A refusal is a sentence; the caller logs to stderr instead and says why.
 */
import {
  ensureTrustedDirectory,
  errorMessage,
  ownFileProblem,
  parentDirectory,
} from "../../core/mod.ts";

/** What every line jsonLinesFormatter writes begins with. */
const LOG_LINE_START = '{"@timestamp":';

/** Why the open `file` (at `path`) does not start as a log of ours, if so. */
function headProblem(path: string, file: Deno.FsFile): string | undefined {
  let head = "";
  try {
    const buffer = new Uint8Array(LOG_LINE_START.length);
    const count = file.readSync(buffer) ?? 0;
    head = new TextDecoder().decode(buffer.subarray(0, count));
  } catch (error) {
    return `"${path}" cannot be read (${errorMessage(error)})`;
  }
  if (head !== "" && head !== LOG_LINE_START) {
    return `"${path}" is not a JSON log (it does not start with ${LOG_LINE_START})`;
  }
  return undefined;
}

/**
 * `path` opened for reading (and appending, with `append`) when it is a log of ours; "missing"
 * when it is absent; else why it is not ours. Reading the head and appending through one open
 * file costs one open instead of two, and the file written is the file checked.
 */
function openExistingLog(path: string, append: boolean): Deno.FsFile | string {
  // The mode is the operator's business (a log may be made readable); the rest must hold.
  const problem = ownFileProblem(path, {});
  if (problem === "missing") return problem;
  if (problem !== undefined) return `"${path}" ${problem}`;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true, append });
  } catch (error) {
    return `"${path}" cannot be read (${errorMessage(error)})`;
  }
  const headRefused = headProblem(path, file);
  if (headRefused === undefined) return file;
  file.close();
  return headRefused;
}

/** Why the rotated names `path.1` ... `path.<rotations>` must not be renamed over, if so. */
export function rotationProblem(path: string, rotations: number): string | undefined {
  for (let i = 1; i <= rotations; i++) {
    const opened = openExistingLog(`${path}.${i}`, false);
    if (typeof opened !== "string") opened.close();
    else if (opened !== "missing") return opened;
  }
  return undefined;
}

/**
 * Checks `path` as above, creating it when missing; returns it open for appending (and
 * reading), or why it must not be used.
 */
export function openLogFile(path: string): Deno.FsFile | string {
  if (!path.startsWith("/") || path.includes("\0")) return `"${path}" is not an absolute path`;
  try {
    ensureTrustedDirectory(parentDirectory(path));
  } catch (error) {
    return errorMessage(error);
  }
  const opened = openExistingLog(path, true);
  if (opened !== "missing") return opened;
  // Only when it was missing: a refused exclusive open costs ~1 ms (Deno builds the error),
  // on every call where the log exists. Exclusive, so never through a name planted since.
  try {
    return Deno.openSync(path, { read: true, append: true, createNew: true, mode: 0o640 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) return errorMessage(error);
  }
  // Another invocation made it in between: it is checked as any existing log.
  const raced = openExistingLog(path, true);
  return raced === "missing" ? `"${path}" vanished while it was opened` : raced;
}
