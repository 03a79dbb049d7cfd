/**
 * store/: the cluster's shared store (etcd, over its JSON gateway) and the records the
 * toolkit keeps there, so nodes agree without talking to each other.
 */
export {
  type Compare,
  EtcdClient,
  EtcdEndpointSchema,
  type EtcdOptions,
  EtcdRequestError,
  EtcdUnreachableError,
  fromBase64,
  type KeyValue,
  type Op,
  prefixEnd,
  toBase64,
  type TxnResult,
} from "./etcd.ts";
export {
  claimMac,
  type ClaimOutcome,
  listMacClaims,
  type MacClaim,
  macClaimKey,
  MacClaimSchema,
  releaseMac,
} from "./mac_claims.ts";
