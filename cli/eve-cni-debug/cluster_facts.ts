/**
 * What a node can see of MACs on other nodes: the remote MACs its VXLAN devices learned
 * (each behind the VTEP of the node it came from), and, when fake-zedrouter names a shared
 * store (Inspect.Config `cluster.etcd`), the MAC claims every node made there. The doctor
 * reports a MAC of this node's that is also behind a remote VTEP, or claimed by another node.
 */
import { errorMessage } from "../../core/mod.ts";
import { FLOOD_MAC, type Link, listFdb, type Netns, type Runner } from "../../netns/mod.ts";
import { EtcdClient, listMacClaims } from "../../store/mod.ts";
import type { CommandContext } from "./context.ts";
import type { MacClaimsFact, RemoteMacFact } from "./snapshot.ts";
import { withClient } from "./zedrouter_client.ts";

export async function remoteMacs(
  runner: Runner,
  ns: Netns | undefined,
  links: readonly Link[],
): Promise<RemoteMacFact[]> {
  const out: RemoteMacFact[] = [];
  for (const link of links.filter((l) => l.kind === "vxlan")) {
    for (const entry of await listFdb(runner, ns, { dev: link.name })) {
      if (entry.dst === null || entry.mac === FLOOD_MAC) continue;
      out.push({ device: link.name, bridge: link.master, mac: entry.mac, vtep: entry.dst });
    }
  }
  return out;
}

/** The store's claims when fake-zedrouter names one; null when it names none (or is away). */
export async function macClaims(ctx: CommandContext): Promise<MacClaimsFact | null> {
  const { globals: g, deps } = ctx;
  let cluster;
  try {
    cluster = (await withClient(deps.connect, g.socket, g, (c) => c.call("Inspect.Config", {})))
      .cluster;
  } catch {
    return null; // Not a fake-zedrouter, or not reachable: the rest of the doctor says so.
  }
  if (!cluster?.etcd) return null;
  const store = `etcd ${cluster.etcd.endpoints.join(",")}`;
  const fact: MacClaimsFact = { node: cluster.node, store, claims: [], error: null };
  try {
    const client = new EtcdClient({ endpoints: cluster.etcd.endpoints, timeoutMs: g.timeoutMs });
    for (const { mac, claim } of await listMacClaims(client, cluster.etcd.prefix)) {
      if (claim) fact.claims.push({ mac, ...claim });
    }
  } catch (error) {
    fact.error = errorMessage(error);
  }
  return fact;
}
