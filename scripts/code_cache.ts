/**
 * The V8 code cache a program file carries the location of (scripts/launcher.ts): prepared at
 * build time, so the first call on a node is warm and a read-only cache still serves. Without
 * it Deno compiles the program on every call (+34-75 ms measured, issue 11).
 *
 * Facts this relies on (Deno 2.9.6):
 * - the cache is the SQLite database `$DENO_DIR/v8_code_cache_v2`, one row per module URL;
 * - Deno writes a module's row only once its event loop turns after compiling it: a program
 *   that exits before any I/O leaves nothing (so a warm-up call waits on its stdin, fed late;
 *   it is retried until the row is there);
 * - a read-only DENO_DIR is used as it is, as long as the database's `-wal` and `-shm` files
 *   exist (SQLite in WAL mode cannot open a read-only database without them; the read-only
 *   connection used here to check the rows leaves them in place) and opening it writes
 *   nothing: Deno runs `PRAGMA optimize` on every open, which ANALYZEs a table that grew from
 *   empty, a write a read-only cache refuses (Deno then drops the whole cache, silently). So
 *   once every row is in, each program runs once more: that open does the ANALYZE.
 */
import { DatabaseSync } from "node:sqlite";
import { spawn } from "../netns/mod.ts";
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

/**
 * One warm-up call; its outcome does not matter, only what Deno leaves in the cache. Its stdin
 * arrives 0.3 s late, so a program that reads it (or a file named /dev/stdin) is still waiting
 * when Deno's event loop first turns, which is when Deno writes the entry.
 */
async function runOnce(program: WarmProgram, env: Record<string, string>): Promise<void> {
  const lateStdin = '{ sleep 0.3; cat; } | exec "$@"';
  const argv = ["/bin/sh", "-c", lateStdin, "sh", program.file, ...(program.warmUp.args ?? [])];
  await spawn(argv, { ...env, ...program.warmUp.env }, program.warmUp.stdin ?? "");
}

/**
 * Empties `cacheDir`, runs each program's warm-up call until its row is in the cache, then
 * each once more (see above) so the cache also serves read-only.
 * `env` is the rest of the programs' environment (EVE_CNI_RUNTIME for the release, say).
 */
export async function prepareCodeCache(
  cacheDir: string,
  programs: readonly WarmProgram[],
  env: Record<string, string> = {},
): Promise<void> {
  // Unchanged program files and Deno: the cache prepared for them last time still serves.
  const stamp = await contentStamp(programs.map((p) => p.file));
  if (await Deno.readTextFile(`${cacheDir}/${STAMP}`).catch(() => "") === stamp) return;
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
  for (const program of programs) await runOnce(program, callEnv);
  const missing = programs.filter((p) =>
    !cachedModules(cacheDir).includes(programModuleUrl(p.mainFd))
  );
  if (missing.length) {
    throw new Error(`Code cache entries lost in ${cacheDir}: ${missing.map((p) => p.name)}`);
  }
  await Deno.writeTextFile(`${cacheDir}/${STAMP}`, stamp);
}

/** Written last into a prepared cache: what it was prepared for (Deno ignores the file). */
const STAMP = ".eve-cni-prepared";

/** SHA-256 of the files' contents and of the Deno preparing them, as hex. */
export async function contentStamp(files: readonly string[]): Promise<string> {
  const parts = [new TextEncoder().encode(`deno ${Deno.version.deno}\n`)];
  for (const file of files) parts.push(await Deno.readFile(file));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length + 1;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
