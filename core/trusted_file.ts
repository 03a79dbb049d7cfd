/**
 * Files root executes (udhcpc's hook scripts) or appends to, checked before each use: in a
 * trusted directory (core/trusted_dir.ts) nobody else can plant or swap them, but a file left
 * from before the directory was trusted (made by another user while it was 1777) or changed
 * by hand is still wrong. So a file counts as ours only when it is a regular file (a symlink
 * is never followed), owned by root or the running user, has exactly one name, exactly the
 * expected mode and, for scripts, exactly the expected text. Anything else is replaced by a
 * fresh file (exclusive temp name, rename over it), never written through.
 */
import { writeFileAtomic } from "./files.ts";

export interface ExpectedFile {
  /** Permission bits, e.g. 0o755; undefined when any mode will do (a log). */
  readonly mode?: number;
  /** The whole content, or undefined when only the shape matters (a log). */
  readonly text?: string;
}

function trustedOwner(uid: number | null): boolean {
  return uid === 0 || uid === (Deno.uid() ?? 0);
}

/** What is wrong with `path` as our file, or undefined when it is ours; "missing" when absent. */
export function ownFileProblem(path: string, expected: ExpectedFile): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
  }
  if (info.isSymlink) return "is a symlink";
  if (!info.isFile) return "is not a regular file";
  if (!trustedOwner(info.uid)) return `is owned by uid ${info.uid}, not root`;
  if ((info.nlink ?? 1) !== 1) return `has ${info.nlink} hard links`;
  const mode = (info.mode ?? 0) & 0o7777;
  if (expected.mode !== undefined && mode !== expected.mode) {
    return `has mode ${mode.toString(8).padStart(4, "0")}, not ${expected.mode.toString(8)}`;
  }
  if (expected.text !== undefined) {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      return "cannot be read";
    }
    if (text !== expected.text) return "does not hold the expected text";
  }
  return undefined;
}

/**
 * Makes `path` (in a directory the caller proved trusted) our file with `text`: left alone
 * when it already is, else replaced through an exclusive temp file and a rename (a running
 * reader sees the old file or the new one). Throws when the result is still not ours.
 */
export async function ensureOwnFile(path: string, text: string, mode: number): Promise<void> {
  if (ownFileProblem(path, { mode, text }) === undefined) return;
  await writeFileAtomic(path, text, { mode });
  const problem = ownFileProblem(path, { mode, text });
  if (problem !== undefined) throw new Error(`"${path}" ${problem} right after it was written`);
}
