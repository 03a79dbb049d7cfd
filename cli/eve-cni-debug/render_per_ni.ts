/**
 * `render --layout per-ni`: the layout of this toolkit's sandbox node: the primary conflist for
 * /etc/cni/net.d (eve-bridge -> bridge + host-local over this node's pod subnet, allocated
 * conflict-free in a locked file, then portmap) and one NetworkAttachmentDefinition per network
 * instance (eve-bridge naming the NI, then tuning). EVE itself runs its own layout
 * (render_eve.ts), the default.
 */
import * as v from "valibot";
import { describeIssues, IfNameSchema, UuidSchema } from "../../core/mod.ts";
import {
  nadName,
  NadSchema,
  nadsToYaml,
  type NiRef,
  PRIMARY_CONFLIST_FILE,
  PrimaryConflistSchema,
  renderNad,
  renderPrimaryConflist,
} from "./cni_configs.ts";
import type { CommandContext } from "./context.ts";
import { UsageError } from "./exit_codes.ts";
import { allocateNodeSubnet } from "./node_subnet_file.ts";
import { allocateNodeSubnetEtcd } from "./node_subnet_etcd.ts";
import { type NodeSubnet, NodeSubnetSchema, parsePlan } from "./node_subnets.ts";
import { EtcdClient, EtcdEndpointSchema } from "../../store/mod.ts";
import { withClient } from "./zedrouter_client.ts";

export const PerNiRenderModelSchema = v.strictObject({
  layout: v.literal("per-ni"),
  node: v.string(),
  subnet: NodeSubnetSchema,
  /** The locked file the subnet is kept in; null when it is kept in etcd. */
  allocFile: v.nullable(v.string()),
  /** The etcd the subnet is kept in (--etcd); null for the file. */
  etcd: v.nullable(v.strictObject({ endpoints: v.array(v.string()), prefix: v.string() })),
  conflist: PrimaryConflistSchema,
  nads: v.array(NadSchema),
  /** Files written with --out-dir; empty when printing. */
  written: v.array(v.string()),
});
export type PerNiRenderModel = v.InferOutput<typeof PerNiRenderModelSchema>;

export interface PerNiOptions {
  node?: string;
  podCidr: string;
  nodeBits: number;
  allocFile: string;
  /** etcd client URLs, comma-separated: keep the allocations there instead of allocFile. */
  etcd?: string;
  etcdPrefix: string;
  bridge: string;
  ni: string[];
  fromZedrouter: boolean;
  namespace?: string;
  outDir?: string;
}

export const EXAMPLE_UUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";

export function parseNiFlag(value: string): NiRef {
  const eq = value.indexOf("=");
  const name = eq < 0 ? "" : value.slice(0, eq);
  const uuid = v.safeParse(UuidSchema, eq < 0 ? "" : value.slice(eq + 1));
  if (!name || !uuid.success) {
    throw new UsageError(
      `Invalid --ni "${value}": expected NAME=UUID such as "local1=${EXAMPLE_UUID}"`,
    );
  }
  return { name, uuid: uuid.output };
}

/** --etcd's endpoints, each checked; undefined without --etcd. */
export function parseEtcdFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const endpoints = value.split(",").map((e) => e.trim()).filter((e) => e !== "");
  const bad = endpoints.find((e) => !v.is(EtcdEndpointSchema, e));
  if (endpoints.length === 0 || bad !== undefined) {
    throw new UsageError(
      `Invalid --etcd "${value}": expected etcd client URLs separated by commas, such as ` +
        '"http://10.1.0.5:2379,http://10.1.0.6:2379"',
    );
  }
  return endpoints.map((e) => v.parse(EtcdEndpointSchema, e));
}

/** Where the node subnets are kept: etcd when --etcd names it, else the locked file. */
async function allocate(
  options: PerNiOptions,
  node: string,
  etcd: string[] | undefined,
): Promise<NodeSubnet> {
  const plan = { podCidr: options.podCidr, nodeBits: options.nodeBits, node };
  if (etcd === undefined) return await allocateNodeSubnet(options.allocFile, plan);
  const client = new EtcdClient({ endpoints: etcd });
  return await allocateNodeSubnetEtcd(client, options.etcdPrefix, plan);
}

/** The per-NI flags, checked before anything is allocated, asked or written. */
function checkPerNiOptions(
  ctx: CommandContext,
  options: PerNiOptions,
): { node: string; nis: NiRef[] } {
  const node = options.node ?? ctx.deps.hostname();
  if (node.trim() === "") {
    throw new UsageError(`Invalid --node "${node}": expected this node's name`);
  }
  const bridge = v.safeParse(IfNameSchema, options.bridge);
  if (!bridge.success) {
    throw new UsageError(`Invalid --bridge "${options.bridge}": ${describeIssues(bridge.issues)}`);
  }
  parsePlan(options.podCidr, options.nodeBits);
  return { node, nis: options.ni.map(parseNiFlag) };
}

/**
 * One NI per NAD: an NI named twice (by --ni and by --from-zedrouter) counts once; two NIs
 * whose names make the same NAD name would silently share one file, so that is refused.
 */
function onePerNad(nis: readonly NiRef[]): NiRef[] {
  const byNad = new Map<string, NiRef>();
  for (const ni of nis) {
    const name = nadName(ni);
    const seen = byNad.get(name);
    if (!seen) byNad.set(name, ni);
    else if (seen.uuid !== ni.uuid) {
      throw new UsageError(
        `Network instances "${seen.name}" (${seen.uuid}) and "${ni.name}" (${ni.uuid}) would ` +
          `both be NetworkAttachmentDefinition "${name}"; give one of them another --ni name`,
      );
    }
  }
  return [...byNad.values()];
}

async function zedrouterNetworkInstances(ctx: CommandContext): Promise<NiRef[]> {
  const { globals: g, deps } = ctx;
  const listed = await withClient(
    deps.connect,
    g.socket,
    g,
    (c) => c.call("Inspect.NetworkInstances", {}),
  );
  return listed.networkInstances.map((ni) => ({ name: ni.name, uuid: ni.uuid }));
}

export async function renderPerNi(
  ctx: CommandContext,
  options: PerNiOptions,
  eveBridge: { nodeIP: string; serviceCIDR?: string },
): Promise<PerNiRenderModel> {
  // Allocation is last of the steps that can fail: a subnet, once persisted, stays the node's,
  // so a bad flag or an unreachable zedrouter must not consume one.
  const { node, nis: named } = checkPerNiOptions(ctx, options);
  const nis = onePerNad([
    ...named,
    ...(options.fromZedrouter ? await zedrouterNetworkInstances(ctx) : []),
  ]);
  const etcd = parseEtcdFlag(options.etcd);
  const subnet = await allocate(options, node, etcd);
  const conflist = renderPrimaryConflist({
    subnet,
    bridge: options.bridge,
    ...eveBridge,
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  });
  const nadOptions = {
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  };
  const nads = nis.map((ni) => renderNad(ni, nadOptions));
  const written: string[] = [];
  if (options.outDir !== undefined) {
    await Deno.mkdir(options.outDir, { recursive: true });
    const conflistPath = `${options.outDir}/${PRIMARY_CONFLIST_FILE}`;
    await Deno.writeTextFile(conflistPath, JSON.stringify(conflist, null, 2) + "\n");
    written.push(conflistPath);
    for (const [i, nad] of nads.entries()) {
      const ni = nis[i];
      if (!ni) continue;
      const path = `${options.outDir}/nad-${nadName(ni)}.yaml`;
      await Deno.writeTextFile(path, nadsToYaml([nad]));
      written.push(path);
    }
  }
  return {
    layout: "per-ni",
    node,
    subnet,
    allocFile: etcd ? null : options.allocFile,
    etcd: etcd ? { endpoints: etcd, prefix: options.etcdPrefix } : null,
    conflist,
    nads,
    written,
  };
}

/** Human text: a header, then either the files written or the documents themselves. */
export function formatPerNi(model: PerNiRenderModel): string {
  const head = [
    `# node ${model.node}: subnet ${model.subnet.subnet} (index ${model.subnet.index}), gateway ` +
    `${model.subnet.gateway}, pods ${model.subnet.rangeStart}-${model.subnet.rangeEnd}`,
    model.etcd
      ? `# allocations kept in etcd ${model.etcd.endpoints.join(",")} under ${model.etcd.prefix}`
      : `# allocations kept in ${model.allocFile}`,
  ];
  if (model.written.length) return [...head, ...model.written.map((p) => `wrote ${p}`)].join("\n");
  const parts = [
    head.join("\n"),
    `# /etc/cni/net.d/${PRIMARY_CONFLIST_FILE}`,
    JSON.stringify(model.conflist, null, 2),
  ];
  if (model.nads.length) {
    parts.push(`# NetworkAttachmentDefinitions\n${nadsToYaml(model.nads).trimEnd()}`);
  }
  return parts.join("\n");
}
