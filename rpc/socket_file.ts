/**
 * The socket file of a server: created mode 0600 without a window in which others could
 * connect, a stale file (nobody listening) replaced atomically, a live server never
 * displaced. The socket is bound inside a fresh 0700 directory next to the target, made
 * 0600, then renamed into place: no process-wide umask change (that would race with every
 * other file this process creates) and no moment where the path is missing or too open.
 */
import { ensureTrustedDirectory, errorMessage } from "../core/mod.ts";
import { RpcError } from "./errors.ts";

/** Longest path Linux accepts for an AF_UNIX socket (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

export interface BoundSocket {
  readonly listener: Deno.UnixListener;
  /** Inode of our socket file: close() removes the path only while it is still ours. */
  readonly inode: number | null;
}

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  if (at < 0) return ".";
  return at === 0 ? "/" : path.slice(0, at);
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Throws unless `path` is free or holds a stale socket. */
async function checkFree(path: string): Promise<"free" | "stale"> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "free";
    throw e;
  }
  if (!info.isSocket) {
    throw new RpcError(`Cannot serve on "${path}": it exists and is not a socket`, path);
  }
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) return "stale";
    throw e;
  }
  throw new RpcError(`Cannot serve on "${path}": another server is listening there`, path);
}

/** Listens on `path` with mode 0600, creating its directory and replacing a stale socket. */
export async function bindSocketFile(path: string): Promise<BoundSocket> {
  try {
    return await bind(path);
  } catch (e) {
    if (e instanceof RpcError) throw e;
    const detail = errorMessage(e);
    throw new RpcError(`Cannot serve on "${path}": ${detail}`, path, { cause: e });
  }
}

async function bind(path: string): Promise<BoundSocket> {
  if (byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new RpcError(
      `Cannot serve on "${path}": a socket path has at most ${MAX_SOCKET_PATH_BYTES} bytes`,
      path,
    );
  }
  const dir = dirname(path);
  // Root serves here: a directory another user can change could swap the socket for theirs.
  ensureTrustedDirectory(dir, { create: true, mode: 0o755 });
  const state = await checkFree(path);
  const privateDir = await Deno.makeTempDir({ dir, prefix: ".rpc-" }); // mode 0700
  try {
    const tempPath = `${privateDir}/s`;
    if (byteLength(tempPath) <= MAX_SOCKET_PATH_BYTES) {
      const listener = Deno.listen({ transport: "unix", path: tempPath });
      try {
        await Deno.chmod(tempPath, 0o600);
        await Deno.rename(tempPath, path); // atomic, also over a stale socket
      } catch (e) {
        listener.close();
        throw e;
      }
      return { listener, inode: await inodeOf(path) };
    }
    // The target is near the length limit: bind in place (briefly umask-dependent mode).
    if (state === "stale") await Deno.remove(path);
    const listener = Deno.listen({ transport: "unix", path });
    await Deno.chmod(path, 0o600);
    return { listener, inode: await inodeOf(path) };
  } finally {
    await Deno.remove(privateDir, { recursive: true }).catch(() => {});
  }
}

async function inodeOf(path: string): Promise<number | null> {
  try {
    return (await Deno.lstat(path)).ino;
  } catch {
    return null;
  }
}

/** Removes the socket file if it is still the one we created (a successor may own it). */
export async function removeSocketFile(path: string, inode: number | null): Promise<void> {
  if (inode === null) return;
  if ((await inodeOf(path)) !== inode) return;
  await Deno.remove(path).catch(() => {});
}
