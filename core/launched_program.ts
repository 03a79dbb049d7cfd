/**
 * What a program started by its self-contained file (scripts/launcher.ts) can learn about that
 * file. The file's sh part runs Deno on the file itself, opened as /proc/self/fd/<n> so the V8
 * code cache entry does not depend on the directory the file was copied to; Deno's main module
 * is then `file:///proc/self/fd/<n>`, not the file's path. So the sh part also exports the
 * file's absolute path as PROGRAM_FILE_ENV, and this is the one place that reads it back.
 */

/** Set by the launcher to the absolute path of the program file it runs. */
export const PROGRAM_FILE_ENV = "EVE_CNI_SELF";

/**
 * Set by the launcher of a program that answers CNI_COMMAND=VERSION itself: when it could not
 * (stdin is not the plain `{"cniVersion":"<version>"}`), it has read stdin already and hands
 * the text on in this variable.
 */
export const VERSION_STDIN_ENV = "EVE_CNI_VERSION_STDIN";

const FD_MAIN_MODULE = /^file:\/\/\/proc\/self\/fd\/\d+$/;

/**
 * The program file this process was started from, or undefined when it was not started by a
 * launcher (from source, in a test). PROGRAM_FILE_ENV is believed only when the main module is
 * the launcher's (its fd, or the file itself when /proc was missing): an inherited value from
 * some other launcher up the process tree never counts.
 */
export function launchedProgramFile(
  mainModule: string = Deno.mainModule,
  env: Readonly<Record<string, string | undefined>> = {
    [PROGRAM_FILE_ENV]: Deno.env.get(PROGRAM_FILE_ENV),
  },
): string | undefined {
  const programFile = env[PROGRAM_FILE_ENV];
  if (programFile === undefined || !programFile.startsWith("/")) return undefined;
  const file = normalizePath(programFile);
  if (FD_MAIN_MODULE.test(mainModule)) return file;
  if (!mainModule.startsWith("file://")) return undefined;
  return decodeURIComponent(new URL(mainModule).pathname) === file ? file : undefined;
}

/** `/a/./b/../c` → `/a/c` (the launcher makes `./eve-bridge` absolute as `$PWD/./eve-bridge`). */
function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}
