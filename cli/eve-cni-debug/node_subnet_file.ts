/**
 * The persisted node-subnet allocations: one small JSON file, read-modify-written under an
 * exclusive lock file, so concurrent `render` runs (on several nodes sharing /persist, or
 * twice on one) never hand out the same subnet, and a rerun keeps every node's subnet.
 */
import * as v from "valibot";
import { CidrSchema, describeIssues } from "../../core/mod.ts";
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
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
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

async function writeAtomically(path: string, data: NodeSubnetFile): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(temp, JSON.stringify(data, null, 2) + "\n");
  await Deno.rename(temp, path);
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
      await writeAtomically(path, { ...current, nodes: { ...current.nodes, [plan.node]: index } });
    }
    return nodeSubnet(podCidr, plan.nodeBits, index);
  }, lockOptions);
}
