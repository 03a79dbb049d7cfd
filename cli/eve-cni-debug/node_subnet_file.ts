/**
 * The persisted node-subnet allocations: one small JSON file, read-modify-written under an
 * exclusive lock file, so concurrent `render` runs (on several nodes sharing /persist, or
 * twice on one) never hand out the same subnet, and a rerun keeps every node's subnet.
 */
import * as v from "valibot";
import {
  CidrSchema,
  describeIssues,
  readTextFileIfExists,
  writeFileAtomic,
} from "../../core/mod.ts";
import { type LockOptions, withFileLock } from "./file_lock.ts";
import { allocateIndex, type NodeSubnet, nodeSubnet, parsePlan } from "./node_subnets.ts";

export const NodeSubnetFileSchema = v.strictObject({
  version: v.literal(1),
  podCidr: CidrSchema,
  nodeBits: v.pipe(v.number(), v.integer()),
  /** node name -> subnet index */
  nodes: v.record(v.string(), v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type NodeSubnetFile = v.InferOutput<typeof NodeSubnetFileSchema>;

export const DEFAULT_NODE_SUBNET_FILE = "/persist/eve-cni/node-subnets.json";

async function readAllocations(path: string): Promise<NodeSubnetFile | undefined> {
  const text = await readTextFileIfExists(path);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`Allocation file "${path}" is not JSON; fix or remove it`);
  }
  const parsed = v.safeParse(NodeSubnetFileSchema, raw);
  if (!parsed.success) {
    throw new Error(`Allocation file "${path}" is invalid: ${describeIssues(parsed.issues)}`);
  }
  return parsed.output;
}

/**
 * The subnet of `node` under the plan, allocating (and persisting) one on first use. A file
 * made under another PodCIDR or NodeBits is refused: silently re-planning would move pods of
 * other nodes into overlapping subnets.
 */
export async function allocateNodeSubnet(
  path: string,
  plan: { podCidr: string; nodeBits: number; node: string },
  lockOptions: LockOptions = {},
): Promise<NodeSubnet> {
  parsePlan(plan.podCidr, plan.nodeBits);
  const podCidr = v.parse(CidrSchema, plan.podCidr);
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  return await withFileLock(`${path}.lock`, async () => {
    const current = await readAllocations(path) ??
      { version: 1 as const, podCidr, nodeBits: plan.nodeBits, nodes: {} };
    if (current.podCidr !== podCidr || current.nodeBits !== plan.nodeBits) {
      throw new Error(
        `Allocation file "${path}" was made for PodCIDR ${current.podCidr} with NodeBits ` +
          `${current.nodeBits}, not ${podCidr} with ${plan.nodeBits}; remove it to re-plan every node`,
      );
    }
    const index = allocateIndex(plan.node, current.nodes, plan.nodeBits);
    if (current.nodes[plan.node] !== index) {
      const next: NodeSubnetFile = { ...current, nodes: { ...current.nodes, [plan.node]: index } };
      // Readable by all, as a plain write made it: other nodes' render runs read it too.
      await writeFileAtomic(path, JSON.stringify(next, null, 2) + "\n", { mode: 0o644 });
    }
    return nodeSubnet(podCidr, plan.nodeBits, index);
  }, lockOptions);
}
