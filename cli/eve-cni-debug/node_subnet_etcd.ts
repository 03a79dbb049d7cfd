/**
 * Node-subnet allocations kept in etcd, for nodes that share no file: as Evio's config-gen
 * keeps them there, but lock-free and keyed by node name, so a node that asks again gets
 * the subnet it has (Evio's keys are the ranges, under a lease-held lock, and a rerun takes
 * another range). Records carry no lease: a subnet stays the node's until someone removes it.
 *
 * Under PREFIX `node-subnets/`:
 *   plan           {"podCidr":"10.42.0.0/16","nodeBits":8}   fixed by the first allocation
 *   nodes/<node>   {"index":3}                                 which subnet a node has
 *   index/<index>  {"node":"node3"}                            who holds a subnet
 * A node's two records are written in one transaction whose compares say neither exists yet
 * and the plan is still ours; a node that loses the race for an index reads again and tries
 * the next free one.
 */
import * as v from "valibot";
import { CidrSchema } from "../../core/mod.ts";
import { type EtcdClient, type KeyValue } from "../../store/mod.ts";
import { UsageError } from "./exit_codes.ts";
import { allocateIndex, type NodeSubnet, nodeSubnet, parsePlan } from "./node_subnets.ts";

export const DEFAULT_ETCD_PREFIX = "/eve-cni/";

/** A node name as a key part: no "/" (it would nest), nothing a person cannot type. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

const PlanSchema = v.strictObject({
  podCidr: CidrSchema,
  nodeBits: v.pipe(v.number(), v.integer()),
});
const NodeRecordSchema = v.strictObject({ index: v.pipe(v.number(), v.integer(), v.minValue(0)) });
const IndexRecordSchema = v.strictObject({ node: v.string() });

interface Keys {
  plan: string;
  nodes: string;
  index: string;
  node(name: string): string;
  indexOf(i: number): string;
}

function keysUnder(prefix: string): Keys {
  const base = `${prefix.endsWith("/") ? prefix : `${prefix}/`}node-subnets/`;
  return {
    plan: `${base}plan`,
    nodes: `${base}nodes/`,
    index: `${base}index/`,
    node: (name) => `${base}nodes/${name}`,
    indexOf: (i) => `${base}index/${i}`,
  };
}

function parseRecord<S extends v.GenericSchema>(schema: S, kv: KeyValue, where: string) {
  try {
    return v.parse(schema, JSON.parse(kv.value)) as v.InferOutput<S>;
  } catch {
    throw new Error(
      `etcd key "${kv.key}" at ${where} holds ${JSON.stringify(kv.value)}, not a record of ` +
        "ours; fix or delete it",
    );
  }
}

/** Fixes the plan on first use; a store made under another plan is refused, as the file is. */
async function ensurePlan(client: EtcdClient, keys: Keys, planJson: string): Promise<void> {
  const r = await client.txn(
    [{ key: keys.plan, createRevision: 0 }],
    [{ put: keys.plan, value: planJson }],
    [{ get: keys.plan }],
  );
  if (r.succeeded) return;
  const stored = r.ranges[0]?.[0];
  if (!stored || stored.value === planJson) return;
  const other = parseRecord(PlanSchema, stored, client.endpoints.join(","));
  const ours = JSON.parse(planJson) as v.InferOutput<typeof PlanSchema>;
  throw new Error(
    `etcd ${client.endpoints.join(",")} keeps node subnets for PodCIDR ${other.podCidr} with ` +
      `NodeBits ${other.nodeBits}, not ${ours.podCidr} with ${ours.nodeBits}; delete the keys ` +
      `under "${keys.plan.slice(0, -"plan".length)}" to re-plan every node`,
  );
}

/** Every node's index, read in one transaction (one revision) from the `index/` records. */
async function readTaken(client: EtcdClient, keys: Keys, node: string) {
  const r = await client.txn([], [{ get: keys.node(node) }, { get: keys.index, prefix: true }]);
  const where = client.endpoints.join(",");
  const mine = r.ranges[0]?.[0];
  const taken: Record<string, number> = {};
  for (const kv of r.ranges[1] ?? []) {
    const index = Number(kv.key.slice(keys.index.length));
    taken[parseRecord(IndexRecordSchema, kv, where).node] = index;
  }
  return { mine: mine ? parseRecord(NodeRecordSchema, mine, where).index : undefined, taken };
}

/**
 * The subnet of `node` under the plan, from etcd: the one it has, else the lowest free one,
 * claimed by compare-and-swap. Throws when the PodCIDR is full or etcd cannot be reached
 * (EtcdUnreachableError names the endpoints).
 */
export async function allocateNodeSubnetEtcd(
  client: EtcdClient,
  prefix: string,
  plan: { podCidr: string; nodeBits: number; node: string },
): Promise<NodeSubnet> {
  parsePlan(plan.podCidr, plan.nodeBits);
  if (!NODE_NAME.test(plan.node)) {
    throw new UsageError(
      `Invalid node name "${plan.node}" for etcd: expected letters, digits, ".", "_" or "-"`,
    );
  }
  const podCidr = v.parse(CidrSchema, plan.podCidr);
  const keys = keysUnder(prefix);
  const planJson = JSON.stringify({ podCidr, nodeBits: plan.nodeBits });
  await ensurePlan(client, keys, planJson);
  // Each lost race means another node got a subnet, so this ends within 2^bits rounds.
  for (let round = 0; round <= 2 ** plan.nodeBits; round++) {
    const { mine, taken } = await readTaken(client, keys, plan.node);
    if (mine !== undefined) return nodeSubnet(podCidr, plan.nodeBits, mine);
    const index = allocateFree(plan.node, taken, plan.nodeBits, client, prefix);
    const r = await client.txn(
      [
        { key: keys.node(plan.node), createRevision: 0 },
        { key: keys.indexOf(index), createRevision: 0 },
        { key: keys.plan, value: planJson },
      ],
      [
        { put: keys.node(plan.node), value: JSON.stringify({ index }) },
        { put: keys.indexOf(index), value: JSON.stringify({ node: plan.node }) },
      ],
    );
    if (r.succeeded) return nodeSubnet(podCidr, plan.nodeBits, index);
  }
  throw new Error(`Could not allocate a node subnet for "${plan.node}": too many concurrent nodes`);
}

function allocateFree(
  node: string,
  taken: Record<string, number>,
  nodeBits: number,
  client: EtcdClient,
  prefix: string,
): number {
  try {
    return allocateIndex(node, taken, nodeBits);
  } catch (error) {
    throw new Error(
      `${(error as Error).message} (allocations in etcd ${client.endpoints.join(",")} ` +
        `under "${prefix}")`,
    );
  }
}
