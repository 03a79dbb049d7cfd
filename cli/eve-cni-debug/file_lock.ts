/**
 * An exclusive lock file: created with O_CREAT|O_EXCL (`createNew`), so exactly one process
 * holds it. It records the holder's pid and start time, so a lock left behind by a process
 * that died (kill -9, node reboot with /persist kept) is recognised as stale and broken.
 */
import { isAlive } from "../../netns/mod.ts";

export interface LockOptions {
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number;
  /** A lock older than this is stale even if its pid lives (pid reuse). Default 60000 ms. */
  staleMs?: number;
  /** Test seam: is this pid running? */
  isAlive?: (pid: number) => boolean;
  /** Test seam: the clock. */
  now?: () => number;
}

interface LockRecord {
  pid: number;
  createdAt: number;
}

/** Raised when the lock stays busy for the whole timeout. */
export class LockBusyError extends Error {
  constructor(readonly path: string, readonly holder: string) {
    super(`Lock "${path}" is held by ${holder}; retry, or remove it if that process is gone`);
    this.name = "LockBusyError";
  }
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const raw = JSON.parse(text) as Partial<LockRecord>;
    if (typeof raw.pid === "number" && typeof raw.createdAt === "number") {
      return { pid: raw.pid, createdAt: raw.createdAt };
    }
  } catch {
    // A torn or foreign file: treated as stale once old enough (see isStale).
  }
  return undefined;
}

async function tryCreate(path: string, record: LockRecord): Promise<boolean> {
  try {
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
    try {
      await file.write(new TextEncoder().encode(JSON.stringify(record)));
    } finally {
      file.close();
    }
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
}

async function readLock(path: string): Promise<{ text: string; mtime: number } | undefined> {
  try {
    const [text, info] = await Promise.all([Deno.readTextFile(path), Deno.stat(path)]);
    return { text, mtime: info.mtime?.getTime() ?? 0 };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Breaks a stale lock by renaming it aside (atomic: of two breakers only one renames that
 * file). If what we renamed is not the file we judged stale (another breaker replaced it in
 * between with a live lock), we put it back with link(), which fails rather than overwrite.
 */
async function breakStale(path: string, judgedText: string): Promise<void> {
  const aside = `${path}.stale-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.rename(path, aside);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const moved = await Deno.readTextFile(aside).catch(() => judgedText);
  if (moved !== judgedText) await Deno.link(aside, path).catch(() => {});
  await Deno.remove(aside).catch(() => {});
}

/** Runs fn while holding the lock file `path`; the lock is removed afterwards. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const staleMs = options.staleMs ?? 60_000;
  const alive = options.isAlive ?? isAlive;
  const now = options.now ?? Date.now;
  const record: LockRecord = { pid: Deno.pid, createdAt: now() };
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (await tryCreate(path, record)) break;
    const held = await readLock(path);
    if (held !== undefined) {
      const holder = parseRecord(held.text);
      const age = now() - (holder?.createdAt ?? held.mtime);
      const stale = holder === undefined
        ? age > staleMs
        : holder.pid !== Deno.pid && (!alive(holder.pid) || age > staleMs);
      if (stale) {
        await breakStale(path, held.text);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new LockBusyError(path, holder ? `pid ${holder.pid}` : "an unknown process");
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
