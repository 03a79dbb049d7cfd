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

/** Namespaces no pod may be: zedrouter's own (where its bridges live) and the node's first. */
const NOT_A_POD: readonly [string, string][] = [
  ["/proc/self/ns/net", "zedrouter's own network namespace"],
  ["/proc/1/ns/net", "the node's initial network namespace"],
];

/**
 * Refuses a path that names one of NOT_A_POD's namespaces under another name (a bind mount
 * of it under /var/run/netns): the name proves nothing, the namespace's identity (the nsfs
 * device and inode the path resolves to) does.
 */
export function refuseNodeNetns(path: string): void {
  let target: Deno.FileInfo;
  try {
    target = Deno.statSync(path);
  } catch {
    return; // gone: the caller's existence check reports it
  }
  for (const [own, what] of NOT_A_POD) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(own);
    } catch {
      continue;
    }
    if (info.dev === target.dev && info.ino === target.ino) {
      throw new ZedrouterError(
        `pod network namespace "${path}" is ${what} under another name; ` +
          "zedrouter configures only a pod's own namespace",
      );
    }
  }
}

/** As `podNetnsFromPath`, and the namespace must exist and be no namespace of the node's. */
export async function existingPodNetns(path: string): Promise<Netns & { readonly name: string }> {
  const ns = podNetnsFromPath(path);
  if (!(await netnsExists(path))) {
    throw new ZedrouterError(`pod network namespace "${path}" does not exist`);
  }
  refuseNodeNetns(path);
  return ns;
}
