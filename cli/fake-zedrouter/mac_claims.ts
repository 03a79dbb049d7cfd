/**
 * fake-zedrouter's side of the cluster-wide MAC claims (store/mac_claims.ts): with a shared
 * store configured (`cluster.etcd`), ConnectPodAtL2 claims the adapter's MAC for this node
 * before the veth is made, and refuses the call when another node (or another adapter) holds
 * it; DisconnectPod gives the claim back. Without a store nothing is asked: one node's MACs
 * are unique by its config's own rules.
 */
import { errorMessage } from "../../core/mod.ts";
import { claimMac, EtcdClient, type MacClaim, releaseMac } from "../../store/mod.ts";
import type { Cluster } from "./model.ts";
import { ZedrouterError } from "./resolve.ts";

export interface AdapterClaim {
  readonly mac: string;
  readonly appUuid: string;
  readonly adapterIndex: number;
  readonly niUuid: string;
}

function storeOf(cluster: Cluster | null) {
  if (!cluster?.etcd) return null;
  const { endpoints, prefix, timeoutMs } = cluster.etcd;
  return { client: new EtcdClient({ endpoints, timeoutMs }), prefix, node: cluster.node };
}

function claimOf(node: string, a: AdapterClaim): MacClaim {
  return { node, appUuid: a.appUuid, adapterIndex: a.adapterIndex, niUuid: a.niUuid };
}

/** Claims the adapter's MAC; throws the call's error when it cannot be had. */
export async function claimAdapterMac(cluster: Cluster | null, a: AdapterClaim): Promise<void> {
  const store = storeOf(cluster);
  if (!store) return;
  let outcome;
  try {
    outcome = await claimMac(store.client, store.prefix, a.mac, claimOf(store.node, a));
  } catch (error) {
    // Fail closed: a store is configured because MACs must be unique across the cluster.
    throw new ZedrouterError(
      `cannot claim MAC ${a.mac} of app ${a.appUuid} in the shared store: ${errorMessage(error)}`,
    );
  }
  if (outcome.claimed) return;
  const h = outcome.holder;
  const who = h
    ? `node ${h.node} (app ${h.appUuid} adapter ${h.adapterIndex})`
    : "a record that is not a claim of ours";
  throw new ZedrouterError(
    `MAC ${a.mac} of app ${a.appUuid} adapter ${a.adapterIndex} is already claimed by ${who} ` +
      `in etcd ${store.client.endpoints.join(",")} (key ${outcome.key}); give one of the ` +
      `adapters another MAC, or delete the key if ${h ? `node ${h.node}` : "nobody"} uses it`,
  );
}

/** Gives the claim back (best effort: a failure is logged, the DisconnectPod goes on). */
export async function releaseAdapterMac(
  cluster: Cluster | null,
  a: AdapterClaim,
  log: (message: string) => void,
): Promise<void> {
  const store = storeOf(cluster);
  if (!store) return;
  try {
    await releaseMac(store.client, store.prefix, a.mac, claimOf(store.node, a));
  } catch (error) {
    log(`Could not release the claim of MAC ${a.mac}: ${errorMessage(error)}`);
  }
}
