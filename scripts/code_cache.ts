/**
 * The V8 code cache a program file carries the location of (scripts/launcher.ts): prepared at
 * build time, so the first call on a node is warm and a read-only cache still serves. Without
 * it Deno compiles the program on every call (+34-75 ms measured, issue 11).
 *
 * Facts this relies on (Deno 2.9.6):
 * - the cache is the SQLite database `$DENO_DIR/v8_code_cache_v2`, one row per module URL;
 * - Deno writes a module's row only once its event loop turns after compiling it: a program
 *   that exits before any I/O leaves nothing (so a warm-up call waits on I/O, and may still
 *   lose the race; it is retried until the row is there);
 * - a read-only DENO_DIR is used as it is, as long as the database's `-wal` and `-shm` files
 *   exist (SQLite in WAL mode cannot open a read-only database without them); the read-only
 *   connection used here to check the rows leaves them in place.
 */
import { DatabaseSync } from "node:sqlite";
import type { WarmUp } from "./programs.ts";

export const CODE_CACHE_DB = "v8_code_cache_v2";

/** The module URL a program file runs as (its fd; see scripts/launcher.ts). */
export function programModuleUrl(mainFd: number): string {
  return `file:///proc/self/fd/${mainFd}`;
}

/** The `file:` module URLs with a code cache entry in `cacheDir` (none when no database). */
export function cachedModules(cacheDir: string): string[] {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(`${cacheDir}/${CODE_CACHE_DB}`, { readOnly: true });
  } catch {
    return [];
  }
  try {
    const rows = db.prepare("SELECT specifier FROM codecache WHERE specifier LIKE 'file:%'").all();
    return rows.map((row) => String(row.specifier));
  } finally {
    db.close();
  }
}

export interface WarmProgram {
  readonly name: string;
  /** The program file to run. */
  readonly file: string;
  readonly mainFd: number;
  readonly warmUp: WarmUp;
}

const ATTEMPTS = 10;

async function runOnce(program: WarmProgram, env: Record<string, string>): Promise<void> {
  const child = new Deno.Command(program.file, {
    args: [...(program.warmUp.args ?? [])],
    env: { ...env, ...program.warmUp.env },
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(program.warmUp.stdin ?? "")).catch(() => {});
  await writer.close().catch(() => {});
  await child.status;
}

/**
 * Empties `cacheDir` and runs each program's warm-up call until its row is in the cache.
 * `env` is the rest of the programs' environment (EVE_CNI_RUNTIME for the release, say).
 */
export async function prepareCodeCache(
  cacheDir: string,
  programs: readonly WarmProgram[],
  env: Record<string, string> = {},
): Promise<void> {
  await Deno.remove(cacheDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(cacheDir, { recursive: true });
  const callEnv = { ...env, EVE_CNI_CACHE: cacheDir, PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
  for (const program of programs) {
    const url = programModuleUrl(program.mainFd);
    let attempt = 0;
    while (!cachedModules(cacheDir).includes(url)) {
      if (++attempt > ATTEMPTS) {
        throw new Error(
          `${program.name}'s code cache entry ${url} is not in ${cacheDir} after ${ATTEMPTS} ` +
            `warm-up calls: the call in scripts/programs.ts must wait on I/O before it exits`,
        );
      }
      await runOnce(program, callEnv);
    }
  }
}
