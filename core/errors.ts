/** The text of anything thrown: an Error's message, anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The errno name of an OS error Deno threw (`ENOSPC`, `EROFS`), or undefined for others. */
export function osErrorCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** What an operator does about each errno a node's file system gives (the common ones). */
const OS_ERROR_ADVICE: Readonly<Record<string, string>> = {
  ENOSPC: "free space on that file system",
  EDQUOT: "free space or raise the quota on that file system",
  EROFS: "the file system is read-only: remount it read-write or choose a writable path",
  ENAMETOOLONG: "shorten the path",
  EACCES: "check the ownership and permissions of the path and its directories",
  EPERM: "check the ownership and permissions of the path and its directories",
  ENOENT: "create the directory or fix the path",
  ENOTDIR: "a component of the path is not a directory; fix the path",
  EEXIST: "remove what is in the way or choose another path",
  EMFILE: "the process has too many open files; raise its limit (ulimit -n)",
  ENFILE: "the node has too many open files; find what holds them",
  EIO: "the storage reports I/O errors; check the disk",
  ELOOP: "the path has a symlink loop; fix the path",
};

/**
 * An OS error as one sentence that keeps its cause: the errno name, Deno's text (which names
 * the call and the path) and what to do, e.g. `ENOSPC: No space left on device (os error 28):
 * write '/run/eve-bridge/x.json'; free space on that file system`. Other errors: their text.
 */
export function describeOsError(error: unknown): string {
  const code = osErrorCode(error);
  const text = errorMessage(error);
  if (code === undefined) return text;
  const advice = OS_ERROR_ADVICE[code];
  return advice === undefined ? `${code}: ${text}` : `${code}: ${text}; ${advice}`;
}
