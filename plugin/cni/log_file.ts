/**
 * Where a CNI invocation's log may go. The plugin runs as root and its config may come from a
 * NAD (namespace-user input), so before the file sink opens `logFile` (it appends, and its
 * rotation renames `<file>` to `<file>.1` ... `<file>.N`):
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

/** Why `path` is not a log of ours, "missing" when it is absent, undefined when it is one. */
function existingLogProblem(path: string): string | undefined {
  // The mode is the operator's business (a log may be made readable); the rest must hold.
  const problem = ownFileProblem(path, {});
  if (problem === "missing") return problem;
  if (problem !== undefined) return `"${path}" ${problem}`;
  let head = "";
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      const buffer = new Uint8Array(LOG_LINE_START.length);
      const count = file.readSync(buffer) ?? 0;
      head = new TextDecoder().decode(buffer.subarray(0, count));
    } finally {
      file.close();
    }
  } catch (error) {
    return `"${path}" cannot be read (${errorMessage(error)})`;
  }
  if (head !== "" && head !== LOG_LINE_START) {
    return `"${path}" is not a JSON log (it does not start with ${LOG_LINE_START})`;
  }
  return undefined;
}

/** Why the rotated names `path.1` ... `path.<rotations>` must not be renamed over, if so. */
export function rotationProblem(path: string, rotations: number): string | undefined {
  for (let i = 1; i <= rotations; i++) {
    const problem = existingLogProblem(`${path}.${i}`);
    if (problem !== undefined && problem !== "missing") return problem;
  }
  return undefined;
}

/**
 * Checks `path` as above and creates it when missing; returns why it must not be used, or
 * undefined when the sink may open it.
 */
export function prepareLogFile(path: string): string | undefined {
  if (!path.startsWith("/") || path.includes("\0")) return `"${path}" is not an absolute path`;
  try {
    ensureTrustedDirectory(parentDirectory(path));
  } catch (error) {
    return errorMessage(error);
  }
  const problem = existingLogProblem(path);
  if (problem !== "missing") return problem;
  // Only when it was missing: a refused exclusive open costs ~1 ms (Deno builds the error),
  // on every call where the log exists.
  try {
    Deno.openSync(path, { write: true, createNew: true, mode: 0o640 }).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) return errorMessage(error);
  }
  return undefined;
}
