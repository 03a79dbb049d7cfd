/**
 * A plugin must not configure its own network namespace as if it were the container's: a
 * runtime bug (or a test run without `ip netns exec`) would otherwise rewire the node. We
 * compare the (device, inode) of /proc/self/ns/net with CNI_NETNS; CNI_NETNS_OVERRIDE lets a
 * caller that means it through.
 *
 * The identities come from `stat -L` in a child process: Deno refuses /proc/self/* (and
 * /proc/<pid>/*, a common CNI_NETNS form) without --allow-all. The child inherits our network
 * namespace, so its /proc/self/ns/net is ours.
 */
import { spawn } from "../../netns/mod.ts";
import { CniError, CniErrorCode } from "./errors.ts";

export type NetnsState = "exists" | "missing";

const STAT_CANDIDATES = ["/usr/bin/stat", "/bin/stat"];

async function statBinary(): Promise<string> {
  for (const candidate of STAT_CANDIDATES) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // Try the next one.
    }
  }
  return "stat";
}

/** `dev:inode` of our namespace and of `netns` (undefined when `netns` does not exist). */
export async function netnsIdentities(
  netns: string,
): Promise<{ ours: string; theirs: string | undefined }> {
  const out = await spawn(
    [await statBinary(), "-L", "-c", "%d:%i", "--", "/proc/self/ns/net", netns],
    { LC_ALL: "C", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    "",
  );
  const lines = out.stdout.split("\n").filter((line) => /^\d+:\d+$/.test(line));
  const ours = lines[0];
  if (ours === undefined) {
    throw new CniError(
      CniErrorCode.IoFailure,
      "Cannot read the identity of the plugin's own network namespace",
      out.stderr.trim() || `stat exited with ${out.code}`,
    );
  }
  if (out.code === 0 && lines.length === 2) return { ours, theirs: lines[1] };
  if (/no such file|not found/i.test(out.stderr)) return { ours, theirs: undefined };
  throw new CniError(
    CniErrorCode.IoFailure,
    `Cannot read the identity of CNI_NETNS "${netns}"`,
    out.stderr.trim() || `stat exited with ${out.code}`,
  );
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
