/**
 * Cluster-wide MAC claims: before a node puts an app adapter's MAC on a segment, it claims
 * the MAC in the shared store, so two nodes never put the same MAC on the wire (as
 * kubemacpool keeps MACs unique across a cluster). A claim names its holder (node, app,
 * adapter); the same holder claiming again is no change, anyone else is refused and told who
 * holds it. Claims carry no lease: a node that died keeps its claims until it or a person
 * removes them (the refusal names the key).
 *
 * Keys: `<prefix>macs/<mac>` (lowercase), value the claim as JSON.
 */
import * as v from "valibot";
import { MacSchema } from "../core/mod.ts";
import type { EtcdClient } from "./etcd.ts";

export const MacClaimSchema = v.strictObject({
  node: v.string(),
  appUuid: v.string(),
  adapterIndex: v.number(),
  niUuid: v.string(),
});
export type MacClaim = v.InferOutput<typeof MacClaimSchema>;

export type ClaimOutcome =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly holder: MacClaim | null; readonly key: string };

export function macClaimKey(prefix: string, mac: string): string {
  const base = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${base}macs/${v.parse(MacSchema, mac).toLowerCase()}`;
}

/** One spelling of a claim, key order fixed, so a compare on the value matches our own. */
function claimJson(claim: MacClaim): string {
  return JSON.stringify({
    node: claim.node,
    appUuid: claim.appUuid,
    adapterIndex: claim.adapterIndex,
    niUuid: claim.niUuid,
  });
}

function parseClaim(value: string): MacClaim | null {
  try {
    return v.parse(MacClaimSchema, JSON.parse(value));
  } catch {
    return null;
  }
}

function sameHolder(a: MacClaim, b: MacClaim): boolean {
  return a.node === b.node && a.appUuid === b.appUuid && a.adapterIndex === b.adapterIndex;
}

/** Claims `mac` for `claim`'s holder, in one compare-and-swap. */
export async function claimMac(
  client: EtcdClient,
  prefix: string,
  mac: string,
  claim: MacClaim,
): Promise<ClaimOutcome> {
  const key = macClaimKey(prefix, mac);
  const r = await client.txn(
    [{ key, createRevision: 0 }],
    [{ put: key, value: claimJson(claim) }],
    [{ get: key }],
  );
  if (r.succeeded) return { claimed: true };
  const stored = r.ranges[0]?.[0];
  // Deleted between our compare and our read: try once more.
  if (!stored) return await claimMac(client, prefix, mac, claim);
  const holder = parseClaim(stored.value);
  if (holder && sameHolder(holder, claim)) return { claimed: true };
  return { claimed: false, holder, key };
}

/** Gives `mac` back, only if `claim`'s holder still holds it (another's claim stays). */
export async function releaseMac(
  client: EtcdClient,
  prefix: string,
  mac: string,
  claim: MacClaim,
): Promise<boolean> {
  const key = macClaimKey(prefix, mac);
  const r = await client.txn([{ key, value: claimJson(claim) }], [{ delete: key }]);
  return r.succeeded;
}

/** Every claim in the store, by MAC. */
export async function listMacClaims(
  client: EtcdClient,
  prefix: string,
): Promise<{ mac: string; claim: MacClaim | null }[]> {
  const base = `${prefix.endsWith("/") ? prefix : `${prefix}/`}macs/`;
  const kvs = await client.range(base, { prefix: true });
  return kvs.map((kv) => ({ mac: kv.key.slice(base.length), claim: parseClaim(kv.value) }));
}
