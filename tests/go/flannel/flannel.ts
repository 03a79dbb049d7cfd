/**
 * The flannel stand-in (main.go): built on first use (../go_build.ts) into a directory of its
 * own, `.cache/flannel-<hash>/`, which goes first on the test's CNI_PATH so libcni finds a
 * plugin of type "flannel" there.
 */
import { buildGoProgram } from "../go_build.ts";

const SOURCE_DIR = new URL(".", import.meta.url).pathname;

/** The directory holding the built `flannel` plugin. */
export async function flannelPluginDir(): Promise<string> {
  const binary = await buildGoProgram("flannel", SOURCE_DIR);
  return binary.slice(0, binary.lastIndexOf("/"));
}
