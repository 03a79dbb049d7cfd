/** Named network namespaces: create, delete (idempotent), list, and identity checks. */
import { checkNetnsName, checkNetnsPath } from "./_validate.ts";
import { isCommandError, runChecked, type Runner } from "./runner.ts";
import { NETNS_RUN_DIR } from "./target.ts";

/** `ip netns add NAME`; fails with a CommandError of kind "exists" when it already exists. */
export async function createNetns(runner: Runner, name: string): Promise<void> {
  await runChecked(runner, ["ip", "netns", "add", checkNetnsName(name)]);
}

/** `ip netns del NAME`; a missing namespace is success. Its veths and bridges go with it. */
export async function deleteNetns(runner: Runner, name: string): Promise<void> {
  try {
    await runChecked(runner, ["ip", "netns", "del", checkNetnsName(name)]);
  } catch (error) {
    if (!isCommandError(error, "not-found")) throw error;
  }
}

/** Names under /var/run/netns, as `ip netns list` shows them (without the "(id: N)" suffix). */
export async function listNetns(runner: Runner): Promise<string[]> {
  const stdout = await runChecked(runner, ["ip", "netns", "list"]);
  return stdout.split("\n").map((line) => line.trim().split(/\s+/)[0] ?? "").filter((n) => n);
}

/** True when `path` exists and is a namespace file (nsfs) rather than a leftover plain file. */
export async function netnsExists(path: string): Promise<boolean> {
  return (await netnsInode(path)) !== undefined;
}

/**
 * The inode of a namespace file, which identifies the namespace (two paths with the same
 * inode are the same netns); undefined when the path is missing or is not a namespace (for
 * example a leftover empty file under /var/run/netns whose bind mount is gone).
 */
export async function netnsInode(path: string): Promise<number | undefined> {
  checkNetnsPath(path);
  const info = await statOrUndefined(path);
  if (info?.ino === null || info?.ino === undefined) return undefined;
  // Every namespace file lives on the single nsfs superblock, so it shares st_dev with our
  // own /proc/self/ns/net; a plain file left behind on tmpfs does not.
  const own = await statOrUndefined("/proc/self/ns/net");
  if (own === undefined || own.dev !== info.dev) return undefined;
  return info.ino;
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw error;
  }
}

/**
 * A path that names the caller's own network namespace after the caller exits (so a later
 * process, started elsewhere, can act in it): `/proc/1/ns/net` when it is init's (the node's
 * namespace on a real node), else a named one under /var/run/netns with the same inode (a
 * sandbox "node"); undefined when there is none.
 */
export async function ownNetnsPath(): Promise<string | undefined> {
  const own = await netnsInode("/proc/self/ns/net");
  if (own === undefined) return undefined;
  if ((await netnsInode("/proc/1/ns/net")) === own) return "/proc/1/ns/net";
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(NETNS_RUN_DIR));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const entry of entries) {
    const path = `${NETNS_RUN_DIR}/${entry.name}`;
    if ((await netnsInode(path).catch(() => undefined)) === own) return path;
  }
  return undefined;
}
