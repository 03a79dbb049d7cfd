/** Reading back what a test put on an interface: its addresses, from the kernel. */
import { listAddrs, type Netns, systemRunner } from "../netns/mod.ts";
import type { SandboxNetns } from "../scripts/sandbox/sandbox.ts";

/** The IPv4 addresses of `ifname` in a namespace, as `10.77.1.50/24`. */
export async function inetAddrs(ns: Netns | SandboxNetns, ifname = "net1"): Promise<string[]> {
  const netns: Netns = "ns" in ns ? ns.ns : ns;
  return (await listAddrs(systemRunner, netns, ifname)).filter((a) => a.family === "inet")
    .map((a) => a.cidr);
}
