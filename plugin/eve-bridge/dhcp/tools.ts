/**
 * STATUS for the pod-interface path: the programs a DHCP lease needs must be on the PATH
 * eve-bridge spawns them with (udhcpc for the lease, nsenter to run it in the pod netns).
 */
import { toolSearchPath } from "../../../core/tool_path.ts";
import { CniError, CniErrorCode } from "../../cni/mod.ts";

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
  const path = toolSearchPath(env);
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
