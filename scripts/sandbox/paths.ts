/**
 * Where the end-to-end pieces are: the BUILT programs (dist/bin, what `deno task build`
 * produces and a node would install), Debian's reference plugins, and cnidrive (libcni).
 */
import { systemRunner } from "../../netns/mod.ts";

export const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
export const DIST_BIN = `${ROOT}/dist/bin`;
export const EVE_BRIDGE = `${DIST_BIN}/eve-bridge`;
export const FAKE_ZEDROUTER = `${DIST_BIN}/fake-zedrouter`;
export const EVE_CNI_DEBUG = `${DIST_BIN}/eve-cni-debug`;
/** Debian's containernetworking-plugins. */
export const CNI_BIN = "/usr/lib/cni";
/** What eve-bridge's conflists need on the plugin path besides eve-bridge itself. */
export const REFERENCE_PLUGINS = ["bridge", "host-local", "tuning"] as const;
export const CNIDRIVE_BUILD_SCRIPT = `${ROOT}/scripts/build_cnidrive.sh`;
export const CNIDRIVE_DEFAULT = `${ROOT}/.tools/cnidrive`;

export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * cnidrive: $CNIDRIVE, else .tools/cnidrive; when neither exists and `build` is set, builds
 * it with scripts/build_cnidrive.sh (as scripts/test.sh does). Undefined when none is available.
 */
export async function findCnidrive(build: boolean): Promise<string | undefined> {
  const fromEnv = Deno.env.get("CNIDRIVE");
  for (const path of [fromEnv, CNIDRIVE_DEFAULT]) {
    if (path && isFile(path)) return path;
  }
  if (!build || !isFile(CNIDRIVE_BUILD_SCRIPT)) return undefined;
  // Built beside the target and renamed into place: parallel test files may race to build it,
  // and none may run a half-written binary.
  const partial = `${CNIDRIVE_DEFAULT}.${Deno.pid}.partial`;
  const out = await systemRunner(["bash", CNIDRIVE_BUILD_SCRIPT, partial]);
  if (out.code !== 0 || !isFile(partial)) {
    await Deno.remove(partial).catch(() => {});
    return undefined;
  }
  await Deno.rename(partial, CNIDRIVE_DEFAULT);
  return CNIDRIVE_DEFAULT;
}
