/**
 * STATUS for the pod-interface path: the programs a DHCP lease needs must be on the PATH
 * eve-bridge spawns them with (udhcpc for the lease, nsenter to run it in the pod netns).
 */
import { CniError, CniErrorCode } from "../../cni/mod.ts";

/** What a process without PATH gets (the usual default search path). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DHCP_TOOLS = ["udhcpc", "nsenter"] as const;

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Throws code 50 naming the first missing tool. */
export async function requireDhcpTools(
  env: Readonly<Record<string, string>>,
  tools: readonly string[] = DHCP_TOOLS,
): Promise<void> {
  const path = env.PATH || DEFAULT_PATH;
  const dirs = path.split(":").filter((d) => d.startsWith("/"));
  for (const tool of tools) {
    let found = false;
    for (const dir of dirs) {
      if (await isExecutable(`${dir}/${tool}`)) {
        found = true;
        break;
      }
    }
    if (!found) {
      throw new CniError(
        CniErrorCode.PluginNotAvailable,
        `"${tool}" is not installed`,
        `eve-bridge runs ${tool} for the DHCP lease of pod interfaces; install it (busybox ` +
          `udhcpc, util-linux nsenter) in one of PATH "${path}"`,
      );
    }
  }
}
