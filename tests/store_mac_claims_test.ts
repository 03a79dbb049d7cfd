/**
 * Cluster-wide MAC claims (store/mac_claims.ts) against a real etcd on loopback: the first
 * holder wins and claiming again is no change; another holder is refused and told who holds
 * the MAC and under which key; only the holder's release removes the claim; MACs are keyed in
 * lowercase whatever their spelling; a record that is not a claim is refused, holder unknown.
 */
import assert from "node:assert/strict";
import { claimMac, listMacClaims, macClaimKey, releaseMac } from "../store/mod.ts";
import { etcdTest } from "./etcd_harness.ts";

const PREFIX = "/eve-cni/";
const MAC = "02:16:3E:0A:0B:0C";
const NI = "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a07";
const onA = { node: "node-a", appUuid: "app-1", adapterIndex: 0, niUuid: NI };
const onB = { ...onA, node: "node-b" };

etcdTest("MAC claims: one holder at a time, released only by its holder", async (etcd) => {
  const c = etcd.client();
  const key = macClaimKey(PREFIX, MAC);
  assert.equal(key, "/eve-cni/macs/02:16:3e:0a:0b:0c");
  assert.deepEqual(await claimMac(c, PREFIX, MAC, onA), { claimed: true });
  // The same holder again (a retried ADD): no change; lowercase or not, one MAC.
  assert.deepEqual(await claimMac(c, PREFIX, MAC.toLowerCase(), onA), { claimed: true });
  assert.deepEqual(await claimMac(c, PREFIX, MAC, onB), { claimed: false, holder: onA, key });
  // Another adapter of the same app on the same node is another holder.
  const other = await claimMac(c, PREFIX, MAC, { ...onA, adapterIndex: 1 });
  assert.equal(other.claimed, false);

  // Node B cannot give back node A's claim; node A can.
  assert.equal(await releaseMac(c, PREFIX, MAC, onB), false);
  assert.deepEqual(await listMacClaims(c, PREFIX), [{ mac: "02:16:3e:0a:0b:0c", claim: onA }]);
  assert.equal(await releaseMac(c, PREFIX, MAC, onA), true);
  assert.deepEqual(await listMacClaims(c, PREFIX), []);
  assert.deepEqual(await claimMac(c, PREFIX, MAC, onB), { claimed: true });

  // A record someone else wrote under the key: refused, its holder unknown.
  const junk = macClaimKey(PREFIX, "02:00:00:00:00:01");
  await c.txn([{ key: junk, createRevision: 0 }], [{ put: junk, value: "not json" }]);
  assert.deepEqual(await claimMac(c, PREFIX, "02:00:00:00:00:01", onA), {
    claimed: false,
    holder: null,
    key: junk,
  });
  assert.throws(() => macClaimKey(PREFIX, "02:16:3e"), /MAC/i);
});
