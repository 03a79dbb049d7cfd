/**
 * A plugin must not configure its own network namespace as if it were the container's: a
 * runtime bug (or a test run without `ip netns exec`) would otherwise rewire the node. We
 * compare the (device, inode) of /proc/self/ns/net with CNI_NETNS; CNI_NETNS_OVERRIDE lets a
 * caller that means it through.
 *
 * Both are read with stat(2), following the links: Deno allows /proc/self/* to programs run
 * with --allow-all, which every launcher of the toolkit grants (scripts/programs.ts says why).
 * Synchronously: an async stat is a trip to Deno's blocking pool (~0.3 ms each in a fresh
 * process: five async stats 1.5-2.6 ms, five sync ones 0.25 ms), on every command.
 */
import { errorMessage } from "../../core/mod.ts";
import { CniError, CniErrorCode } from "./errors.ts";

export type NetnsState = "exists" | "missing";

/** `dev:inode` of our namespace and of `netns` (undefined when `netns` does not exist). */
export function netnsIdentities(netns: string): { ours: string; theirs: string | undefined } {
  let ours: string;
  try {
    ours = identity("/proc/self/ns/net");
  } catch (error) {
    throw new CniError(
      CniErrorCode.IoFailure,
      "Cannot read the identity of the plugin's own network namespace",
      errorMessage(error),
    );
  }
  try {
    return { ours, theirs: identity(netns) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ours, theirs: undefined };
    throw new CniError(
      CniErrorCode.IoFailure,
      `Cannot read the identity of CNI_NETNS "${netns}"`,
      errorMessage(error),
    );
  }
}

function identity(path: string): string {
  const info = Deno.statSync(path);
  return `${info.dev}:${info.ino}`;
}

/** Throws code 4 when `netns` is our own namespace; tells whether the path exists. */
export function guardNetns(netns: string, override: boolean): NetnsState {
  const { ours, theirs } = netnsIdentities(netns);
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
