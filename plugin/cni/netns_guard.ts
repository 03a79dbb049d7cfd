/**
 * A plugin must not configure its own network namespace as if it were the container's: a
 * runtime bug (or a test run without `ip netns exec`) would otherwise rewire the node. We
 * compare the (device, inode) of /proc/self/ns/net with CNI_NETNS; CNI_NETNS_OVERRIDE lets a
 * caller that means it through.
 *
 * Both are read with stat(2), following the links: Deno allows /proc/self/* to programs run
 * with --allow-all, which every launcher of the toolkit grants (scripts/programs.ts says why).
 */
import { errorMessage } from "../../core/mod.ts";
import { CniError, CniErrorCode } from "./errors.ts";

export type NetnsState = "exists" | "missing";

/** `dev:inode` of our namespace and of `netns` (undefined when `netns` does not exist). */
export async function netnsIdentities(
  netns: string,
): Promise<{ ours: string; theirs: string | undefined }> {
  const ours = await identity("/proc/self/ns/net").catch((error) => {
    throw new CniError(
      CniErrorCode.IoFailure,
      "Cannot read the identity of the plugin's own network namespace",
      errorMessage(error),
    );
  });
  try {
    return { ours, theirs: await identity(netns) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ours, theirs: undefined };
    throw new CniError(
      CniErrorCode.IoFailure,
      `Cannot read the identity of CNI_NETNS "${netns}"`,
      errorMessage(error),
    );
  }
}

async function identity(path: string): Promise<string> {
  const info = await Deno.stat(path);
  return `${info.dev}:${info.ino}`;
}

/** Throws code 4 when `netns` is our own namespace; tells whether the path exists. */
export async function guardNetns(netns: string, override: boolean): Promise<NetnsState> {
  const { ours, theirs } = await netnsIdentities(netns);
  if (theirs === undefined) return "missing";
  if (ours === theirs && !override) {
    throw new CniError(
      CniErrorCode.InvalidEnv,
      `CNI_NETNS "${netns}" is the plugin's own network namespace`,
      "Pass the container's namespace, or set CNI_NETNS_OVERRIDE=1 if this is intended",
    );
  }
  return "exists";
}
