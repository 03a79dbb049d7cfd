/**
 * The pod network namespace an RPC names. Like EVE's zedrouter we accept only named
 * namespaces under /var/run/netns (what containerd/CRI-O hand to CNI), and we check it
 * exists before touching anything.
 */
import * as v from "valibot";
import { NetnsNameSchema } from "../../core/mod.ts";
import { type Netns, netnsExists } from "../../netns/mod.ts";
import { ZedrouterError } from "./resolve.ts";

/** /run is /var/run on every system we target; both spellings name the same directory. */
const NETNS_DIRS = ["/var/run/netns/", "/run/netns/"];

/** The namespace of `path` as a named netns, or a clear error naming the rule. */
export function podNetnsFromPath(path: string): Netns & { readonly name: string } {
  const dir = NETNS_DIRS.find((d) => path.startsWith(d));
  const name = dir === undefined ? undefined : path.slice(dir.length);
  if (name === undefined || !v.is(NetnsNameSchema, name)) {
    throw new ZedrouterError(
      `pod network namespace "${path}" is not under /var/run/netns; ` +
        "zedrouter accepts only named namespaces such as /var/run/netns/cni-1234",
    );
  }
  return { name };
}

/** As `podNetnsFromPath`, and the namespace must exist. */
export async function existingPodNetns(path: string): Promise<Netns & { readonly name: string }> {
  const ns = podNetnsFromPath(path);
  if (!(await netnsExists(path))) {
    throw new ZedrouterError(`pod network namespace "${path}" does not exist`);
  }
  return ns;
}
