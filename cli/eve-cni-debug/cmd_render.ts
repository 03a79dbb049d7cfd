/**
 * `render`: the primary conflist for /etc/cni/net.d, a NetworkAttachmentDefinition per
 * network instance, and this node's pod subnet (allocated conflict-free in a locked file).
 */
import * as v from "valibot";
import { CidrSchema, describeIssues, IfNameSchema, IpSchema, UuidSchema } from "../../core/mod.ts";
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
import { EVE_APP_NAMESPACE } from "../../core/eve/mod.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import { allocateNodeSubnet, DEFAULT_NODE_SUBNET_FILE } from "./node_subnet_file.ts";
import { NodeSubnetSchema, parsePlan } from "./node_subnets.ts";
import { type Executor, parsePositiveInt, type Root } from "./root_command.ts";
import { withClient } from "./zedrouter_client.ts";

export interface RenderOptions {
  node?: string;
  podCidr: string;
  nodeBits: number;
  allocFile: string;
  bridge: string;
  nodeIp?: string;
  serviceCidr?: string;
  ni: string[];
  fromZedrouter: boolean;
  namespace?: string;
  outDir?: string;
}

/** The --json of `render`: strict, every part of it is ours. */
export const RenderModelSchema = v.strictObject({
  node: v.string(),
  subnet: NodeSubnetSchema,
  allocFile: v.string(),
  conflist: PrimaryConflistSchema,
  nads: v.array(NadSchema),
  /** Files written with --out-dir; empty when printing. */
  written: v.array(v.string()),
});
export type RenderModel = v.InferOutput<typeof RenderModelSchema>;

const EXAMPLE_UUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";

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

/** A Kubernetes namespace name (DNS-1123 label). */
const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Every flag, checked before anything is allocated, asked or written. */
interface CheckedOptions {
  node: string;
  nodeIp: string;
  nis: NiRef[];
}

function checkOptions(ctx: CommandContext, o: RenderOptions): CheckedOptions {
  const node = o.node ?? ctx.deps.hostname();
  if (node.trim() === "") {
    throw new UsageError(`Invalid --node "${node}": expected this node's name`);
  }
  if (o.nodeIp === undefined) {
    throw new UsageError(
      "Missing --node-ip: the eth0 conflist needs the node's IP (nodeIP), without which " +
        "eve-bridge fails the eth0 ADD of every EVE-app pod (namespace eve-kube-app) with " +
        'CNI error 7, Missing "nodeIP"; pass the address pods reach this node at, such as ' +
        "--node-ip 192.168.1.10",
    );
  }
  if (!v.is(IpSchema, o.nodeIp)) {
    throw new UsageError(`Invalid --node-ip "${o.nodeIp}": expected an IP address`);
  }
  if (o.serviceCidr !== undefined && !v.is(CidrSchema, o.serviceCidr)) {
    throw new UsageError(
      `Invalid --service-cidr "${o.serviceCidr}": expected a CIDR such as "10.43.0.0/16"`,
    );
  }
  const bridge = v.safeParse(IfNameSchema, o.bridge);
  if (!bridge.success) {
    throw new UsageError(`Invalid --bridge "${o.bridge}": ${describeIssues(bridge.issues)}`);
  }
  if (o.namespace !== undefined && !K8S_NAMESPACE.test(o.namespace)) {
    throw new UsageError(
      `Invalid --namespace "${o.namespace}": expected a Kubernetes namespace name ` +
        `(lowercase letters, digits and "-", at most 63) such as "${EVE_APP_NAMESPACE}"`,
    );
  }
  parsePlan(o.podCidr, o.nodeBits);
  return { node, nodeIp: o.nodeIp, nis: o.ni.map(parseNiFlag) };
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

export async function renderConfigs(ctx: CommandContext, o: RenderOptions): Promise<RenderModel> {
  // Allocation is last of the steps that can fail: a subnet, once persisted, stays the node's,
  // so a bad flag or an unreachable zedrouter must not consume one.
  const { node, nodeIp, nis: named } = checkOptions(ctx, o);
  const nis = onePerNad([
    ...named,
    ...(o.fromZedrouter ? await zedrouterNetworkInstances(ctx) : []),
  ]);
  const subnet = await allocateNodeSubnet(o.allocFile, {
    podCidr: o.podCidr,
    nodeBits: o.nodeBits,
    node,
  });
  const conflist = renderPrimaryConflist({
    subnet,
    bridge: o.bridge,
    nodeIP: nodeIp,
    ...(o.serviceCidr !== undefined && { serviceCIDR: o.serviceCidr }),
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  });
  const nadOptions = {
    ...(o.namespace !== undefined && { namespace: o.namespace }),
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  };
  const nads = nis.map((ni) => renderNad(ni, nadOptions));
  const written: string[] = [];
  if (o.outDir !== undefined) {
    await Deno.mkdir(o.outDir, { recursive: true });
    const conflistPath = `${o.outDir}/${PRIMARY_CONFLIST_FILE}`;
    await Deno.writeTextFile(conflistPath, JSON.stringify(conflist, null, 2) + "\n");
    written.push(conflistPath);
    for (const [i, nad] of nads.entries()) {
      const ni = nis[i];
      if (!ni) continue;
      const path = `${o.outDir}/nad-${nadName(ni)}.yaml`;
      await Deno.writeTextFile(path, nadsToYaml([nad]));
      written.push(path);
    }
  }
  return { node, subnet, allocFile: o.allocFile, conflist, nads, written };
}

/** Human text: a header, then either the files written or the documents themselves. */
export function renderRenderModel(m: RenderModel): string {
  const head = [
    `# node ${m.node}: subnet ${m.subnet.subnet} (index ${m.subnet.index}), gateway ` +
    `${m.subnet.gateway}, pods ${m.subnet.rangeStart}-${m.subnet.rangeEnd}`,
    `# allocations kept in ${m.allocFile}`,
  ];
  if (m.written.length) return [...head, ...m.written.map((p) => `wrote ${p}`)].join("\n");
  const parts = [
    head.join("\n"),
    `# /etc/cni/net.d/${PRIMARY_CONFLIST_FILE}`,
    JSON.stringify(m.conflist, null, 2),
  ];
  if (m.nads.length) parts.push(`# NetworkAttachmentDefinitions\n${nadsToYaml(m.nads).trimEnd()}`);
  return parts.join("\n");
}

export function registerRender(root: Root, exec: Executor): void {
  root.command("render")
    .description(
      "Render the eve-bridge conflist, one NetworkAttachmentDefinition per NI, and this node's pod subnet",
    )
    .option("--node <name>", "node name (default: the host name)")
    .option("--pod-cidr <cidr>", "cluster pod CIDR split into node subnets", "10.42.0.0/16")
    .option(
      "--node-bits <n>",
      "bits that number the nodes (a /16 with 8 gives /24s)",
      parsePositiveInt,
      8,
    )
    .option("--alloc-file <path>", "persisted node subnet allocations", DEFAULT_NODE_SUBNET_FILE)
    .option("--bridge <name>", "the eth0 bridge", "cni0")
    .option("--node-ip <ip>", "the node IP, required (EVE-app pods route to it via eth0)")
    .option("--service-cidr <cidr>", "Kubernetes service CIDR (eve-bridge default 10.43.0.0/16)")
    .option(
      "--ni <name=uuid>",
      "a network instance (repeat)",
      (val, acc: string[]) => [...acc, val],
      [] as string[],
    )
    .option(
      "--from-zedrouter",
      "also take the network instances from Inspect.NetworkInstances",
      false,
    )
    .option("--namespace <ns>", "namespace of the NetworkAttachmentDefinitions", EVE_APP_NAMESPACE)
    .option("--out-dir <dir>", "write the files there instead of printing them")
    .addHelpText(
      "after",
      `
Examples:
  eve-cni-debug render --node node1 --node-ip 192.168.1.10 --ni local1=${EXAMPLE_UUID}
  eve-cni-debug render --from-zedrouter --node-ip 192.168.1.10 --out-dir /etc/cni/net.d
--node-ip is required: eve-bridge refuses an EVE-app pod's eth0 without the node's IP.
Node subnets: PodCIDR /p with NodeBits b gives 2^b subnets of /(p+b): gateway .1, pods .2 to
the last address before broadcast. A node keeps its subnet across reruns; the file is locked.`,
    )
    .action(async function () {
      const o = this.opts();
      await exec.run(this.optsWithGlobals(), async (ctx) => {
        const model = await renderConfigs(ctx, o);
        return { model, human: renderRenderModel(model), exitCode: ExitCode.Ok } satisfies Outcome;
      });
    });
}
