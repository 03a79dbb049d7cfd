/**
 * eve-bridge's side of its state files (core/eve/attachment_state.ts has the schema and the
 * layout): reading, atomic writing, removing, listing and locking one attachment's files.
 * flock rather than an O_EXCL lock file: the kernel drops it when its holder dies, so a killed
 * invocation can never wedge later ones.
 */
import { errorMessage, readJsonRecordIfExists, writeFileAtomic } from "../../core/mod.ts";
import {
  ATTACHMENT_FILE_SUFFIXES,
  type AttachmentPaths,
  attachmentPaths,
  type AttachmentState,
  AttachmentStateSchema,
} from "../../core/eve/mod.ts";

/** The record at `path`, undefined when there is none; a corrupt file is an error. */
export function readState(path: string): Promise<AttachmentState | undefined> {
  return readJsonRecordIfExists(path, AttachmentStateSchema, "State file");
}

/** Writes the record atomically: readers see the old or the new file, never half of one. */
export async function writeState(path: string, state: AttachmentState): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Removes every file of the attachment (lock last) and the container dir once empty. The
 * directory is listed once and only what is there is removed, synchronously: a remove of a
 * missing file makes Deno build a NotFound error, and each async remove is a trip to Deno's
 * blocking pool; 3-5.7 ms for the five names against 0.5-2.5 ms this way (a fresh process,
 * eve-bridge's flags), on every DEL.
 */
export function removeAttachmentFiles(paths: AttachmentPaths): void {
  let present: Set<string>;
  try {
    present = new Set(Array.from(Deno.readDirSync(paths.dir), (entry) => entry.name));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const prefix = `${paths.dir}/`;
  for (const file of [paths.state, paths.events, paths.pid, paths.reserve, paths.lock]) {
    const name = file.slice(prefix.length);
    if (!present.has(name)) continue;
    try {
      Deno.removeSync(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    present.delete(name);
  }
  // Another interface of the same container may still have files here: then it stays.
  if (present.size === 0) {
    try {
      Deno.removeSync(paths.dir);
    } catch {
      // Someone added a file in between, or it is gone already: either way, not ours to do.
    }
  }
}

/**
 * Runs `body` holding the attachment's exclusive flock. Waits for a holder (ADD is bounded by
 * its DHCP and RPC timeouts). A waiter that got the lock of a file DEL just unlinked sees no
 * state and does nothing, which is the right outcome for every command.
 */
export async function withAttachmentLock<T>(
  paths: AttachmentPaths,
  body: () => Promise<T>,
): Promise<T> {
  // mkdir and open synchronously (an async call is a trip to Deno's blocking pool each); the
  // flock stays async, as it may wait for another holder.
  Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const file = Deno.openSync(paths.lock, { create: true, write: true });
  try {
    await file.lock(true);
    return await body();
  } finally {
    file.close(); // closing drops the flock
  }
}

/** The lock file opened read-only, or undefined when it cannot be. */
function openOrUndefined(path: string): Deno.FsFile | undefined {
  try {
    return Deno.openSync(path, { read: true });
  } catch {
    return undefined;
  }
}

/**
 * withAttachmentLock for DEL, which must finish even where nothing can be written (a
 * read-only or full state dir): the lock file is opened read-only when it cannot be opened
 * for writing (flock works on any open file), and when there is none and none can be made,
 * DEL runs unlocked. That is safe: without the container's directory (or with one nobody can
 * write to) no ADD, hook or GC can be changing this attachment's files either.
 */
export async function withDelLock<T>(
  paths: AttachmentPaths,
  body: () => Promise<T>,
  warn: (message: string, error: unknown) => void,
): Promise<T> {
  let file: Deno.FsFile | undefined;
  try {
    Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    file = Deno.openSync(paths.lock, { create: true, write: true });
  } catch (error) {
    file = openOrUndefined(paths.lock);
    if (file === undefined) warn("DEL runs without the attachment's lock: {error}", error);
  }
  try {
    await file?.lock(true);
    return await body();
  } finally {
    file?.close();
  }
}

/**
 * Disk space set aside for the attachment's DHCP hook while udhcpc runs (`paths.reserve`,
 * see dhcp/hook.ts), for as long as the attachment lives: ADD's first lease and DEL's
 * `deconfig` (its proof that the release went out) are then recorded even in a full state
 * dir. Written before the client starts, so a state dir too full for it fails ADD there,
 * naming the cause, before any lease exists. An event line is ~300 bytes.
 */
export const RESERVE_BYTES = 16 * 1024;

export function writeReserve(paths: AttachmentPaths): void {
  Deno.writeFileSync(paths.reserve, new Uint8Array(RESERVE_BYTES), { mode: 0o600 });
}

/** Whether the hook had to use the reserve: the state dir ran out of space while DHCP ran. */
export function reserveUsed(paths: AttachmentPaths): boolean {
  try {
    Deno.statSync(paths.reserve);
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/**
 * Every attachment record under `stateDir` (GC); unreadable files are reported, not fatal.
 * `orphans` are attachments with files (lock, pid, events) but no record: an ADD that died
 * before writing it, or one that is running right now (GC re-checks under the lock).
 */
export async function listStates(stateDir: string): Promise<{
  states: { paths: AttachmentPaths; state: AttachmentState }[];
  orphans: AttachmentPaths[];
  problems: string[];
}> {
  const states: { paths: AttachmentPaths; state: AttachmentState }[] = [];
  const orphans: AttachmentPaths[] = [];
  const problems: string[] = [];
  let containers: Deno.DirEntry[] = [];
  try {
    containers = await Array.fromAsync(Deno.readDir(stateDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { states, orphans, problems };
    throw error;
  }
  for (const container of containers) {
    if (!container.isDirectory || container.name.startsWith(".")) continue;
    const files = (await Array.fromAsync(Deno.readDir(`${stateDir}/${container.name}`)))
      .filter((e) => e.isFile).map((e) => e.name);
    const ifnames = new Set(
      files.map(ifnameOfAttachmentFile).filter((n) => n !== undefined),
    );
    for (const ifname of ifnames) {
      const paths = attachmentPaths(stateDir, container.name, ifname);
      if (!files.includes(`${ifname}.json`)) {
        orphans.push(paths);
        continue;
      }
      try {
        const state = await readState(paths.state);
        if (state) states.push({ paths, state });
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
  }
  return { states, orphans, problems };
}

/** `net1` for `net1.json`, `net1.lock`, ...; undefined for a file that is not an attachment's. */
function ifnameOfAttachmentFile(file: string): string | undefined {
  const suffix = ATTACHMENT_FILE_SUFFIXES.find((s) => file.endsWith(s) && file.length > s.length);
  return suffix === undefined ? undefined : file.slice(0, -suffix.length);
}

/**
 * withAttachmentLock for a caller that must never create an attachment's files: the DHCP
 * hook's callback, which can start after DEL (or eve-cni-debug's --fix) removed them and
 * would otherwise leave a new lock file, in a new container directory, behind. Without the
 * lock file there is no attachment, and `absent` is the answer.
 */
export async function withExistingAttachmentLock<T>(
  paths: AttachmentPaths,
  body: () => Promise<T>,
  absent: T,
): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(paths.lock, { write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return absent;
    throw error;
  }
  try {
    await file.lock(true);
    return await body();
  } finally {
    file.close();
  }
}
