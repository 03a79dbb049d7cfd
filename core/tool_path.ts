/**
 * The PATH the programs find node tools on (ip, nsenter, udhcpc, sysctl, dnsmasq). CNI runtimes
 * may start a plugin with no PATH or an empty one; the tools are then looked up in the standard
 * directories. Deno itself puts the directory of its `node` shim on a PATH that has no `node`
 * (it marks that with DENO_NODE_SHIM_ACTIVE; the launchers turn the shim off): that directory
 * alone names no tool either, so it counts as empty.
 *
 * A leaf with no imports: every entry point imports it statically, VERSION included.
 */

/** Where the tools are when the caller names no directory (the usual default search path). */
export const STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Deno's `node` shim directory (`$DENO_DIR/node_compat_bin`). */
const DENO_NODE_SHIM_DIR = "/node_compat_bin";

/** `env.PATH` when it names a directory of tools, else STANDARD_PATH. */
export function toolSearchPath(env: Readonly<Record<string, string | undefined>>): string {
  const path = env.PATH ?? "";
  const shimActive = env.DENO_NODE_SHIM_ACTIVE !== undefined;
  const dirs = path.split(":").filter((dir) =>
    dir !== "" && !(shimActive && dir.endsWith(DENO_NODE_SHIM_DIR))
  );
  return dirs.length > 0 ? path : STANDARD_PATH;
}

/** Sets this process's PATH (inherited by everything it spawns) to toolSearchPath. */
export function useToolSearchPath(): void {
  const env = {
    PATH: Deno.env.get("PATH"),
    DENO_NODE_SHIM_ACTIVE: Deno.env.get("DENO_NODE_SHIM_ACTIVE"),
  };
  const path = toolSearchPath(env);
  if (path !== env.PATH) Deno.env.set("PATH", path);
}
