/**
 * `render`: the CNI configuration of a node. By default EVE's own layout (render_eve.ts):
 * Multus's config with the flannel delegate (`nodeIP "<ip>/32"`) and the one
 * NetworkAttachmentDefinition `network-instance-attachment`. `--layout per-ni`
 * (render_per_ni.ts): a primary conflist over this node's pod subnet (allocated conflict-free
 * in a locked file) and one NAD per network instance.
 */
import * as v from "valibot";
import { CidrSchema } from "../../core/mod.ts";
import { EVE_APP_NAMESPACE, nodeIpAddress, NodeIpSchema } from "../../core/eve/mod.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import { DEFAULT_NODE_SUBNET_FILE } from "./node_subnet_file.ts";
import { DEFAULT_ETCD_PREFIX } from "./node_subnet_etcd.ts";
import { EveRenderModelSchema, formatEve, renderEve } from "./render_eve.ts";
import {
  EXAMPLE_UUID,
  formatPerNi,
  type PerNiOptions,
  PerNiRenderModelSchema,
  renderPerNi,
} from "./render_per_ni.ts";
import { type Executor, parsePositiveInt, type Root } from "./root_command.ts";

export { parseNiFlag } from "./render_per_ni.ts";

export const LAYOUTS = ["eve", "per-ni"] as const;
export type Layout = typeof LAYOUTS[number];

export interface RenderOptions extends PerNiOptions {
  layout: string;
  nodeIp?: string;
  serviceCidr?: string;
  /** The per-NI flags given on the command line (EVE's layout has no use for them). */
  perNiFlagsGiven?: readonly string[];
}

/** The --json of `render`: strict, every part of it is ours; `layout` says which. */
export const RenderModelSchema = v.variant("layout", [
  EveRenderModelSchema,
  PerNiRenderModelSchema,
]);
export type RenderModel = v.InferOutput<typeof RenderModelSchema>;

/** Flags of the per-NI layout only, as the command line spells them. */
export const PER_NI_FLAGS = {
  node: "--node",
  podCidr: "--pod-cidr",
  nodeBits: "--node-bits",
  allocFile: "--alloc-file",
  etcd: "--etcd",
  etcdPrefix: "--etcd-prefix",
  bridge: "--bridge",
  ni: "--ni",
  fromZedrouter: "--from-zedrouter",
} as const;

/** A Kubernetes namespace name (DNS-1123 label). */
const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkLayout(options: RenderOptions): Layout {
  const layout = LAYOUTS.find((l) => l === options.layout);
  if (layout === undefined) {
    throw new UsageError(`Invalid --layout "${options.layout}": expected ${LAYOUTS.join(" or ")}`);
  }
  const misplaced = options.perNiFlagsGiven ?? [];
  if (misplaced.includes(PER_NI_FLAGS.etcd) && misplaced.includes(PER_NI_FLAGS.allocFile)) {
    throw new UsageError(
      "--etcd and --alloc-file both say where node subnets are kept; give one: --etcd for " +
        "nodes that share an etcd, --alloc-file (the default) for one node",
    );
  }
  if (layout === "eve" && misplaced.length > 0) {
    throw new UsageError(
      `${misplaced.join(", ")} only apply to --layout per-ni: EVE's layout takes the node's pod ` +
        "subnet from flannel and has one NetworkAttachmentDefinition for every network " +
        "instance; drop them, or pass --layout per-ni",
    );
  }
  return layout;
}

/** The flags both layouts share, checked before anything is allocated, asked or written. */
function checkCommon(options: RenderOptions): { nodeIP: string; serviceCIDR?: string } {
  if (options.nodeIp === undefined) {
    throw new UsageError(
      "Missing --node-ip: eve-bridge's eth0 config needs the node's IP (nodeIP), without which " +
        "eve-bridge fails the eth0 ADD of every EVE-app pod (namespace eve-kube-app) with " +
        'CNI error 7, Missing "nodeIP"; pass the address pods reach this node at, such as ' +
        "--node-ip 192.168.1.10",
    );
  }
  if (!v.is(NodeIpSchema, options.nodeIp)) {
    throw new UsageError(
      `Invalid --node-ip "${options.nodeIp}": expected the node's IP, bare or as EVE writes it ` +
        '("192.168.1.10" or "192.168.1.10/32")',
    );
  }
  if (options.serviceCidr !== undefined && !v.is(CidrSchema, options.serviceCidr)) {
    throw new UsageError(
      `Invalid --service-cidr "${options.serviceCidr}": expected a CIDR such as "10.43.0.0/16"`,
    );
  }
  if (options.namespace !== undefined && !K8S_NAMESPACE.test(options.namespace)) {
    throw new UsageError(
      `Invalid --namespace "${options.namespace}": expected a Kubernetes namespace name ` +
        `(lowercase letters, digits and "-", at most 63) such as "${EVE_APP_NAMESPACE}"`,
    );
  }
  return {
    nodeIP: nodeIpAddress(options.nodeIp),
    ...(options.serviceCidr !== undefined && { serviceCIDR: options.serviceCidr }),
  };
}

export async function renderConfigs(
  ctx: CommandContext,
  options: RenderOptions,
): Promise<RenderModel> {
  const layout = checkLayout(options);
  const eveBridge = checkCommon(options);
  if (layout === "per-ni") return await renderPerNi(ctx, options, eveBridge);
  return await renderEve(ctx, {
    ...eveBridge,
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    ...(options.outDir !== undefined && { outDir: options.outDir }),
  });
}

export function formatRenderModel(model: RenderModel): string {
  return model.layout === "eve" ? formatEve(model) : formatPerNi(model);
}

const HELP = `
Examples:
  eve-cni-debug render --node-ip 192.168.1.10/32
  eve-cni-debug render --node-ip 192.168.1.10 --out-dir /var/lib/rancher/k3s/agent/etc/cni/net.d
  eve-cni-debug render --layout per-ni --node node1 --node-ip 192.168.1.10 --ni local1=${EXAMPLE_UUID}
  eve-cni-debug render --layout per-ni --from-zedrouter --node-ip 192.168.1.10 --out-dir /etc/cni/net.d
--node-ip is required: eve-bridge refuses an EVE-app pod's eth0 without the node's IP; it is
written as EVE writes it, "<ip>/32".
--layout eve (the default): Multus's config 00-multus.conf (cluster network cbr0: flannel ->
eve-bridge, then portmap) and the NetworkAttachmentDefinition network-instance-attachment, both
at cniVersion 0.3.1; flannel gives the pod subnet. --layout per-ni: the conflist
10-eve-bridge.conflist over a node subnet and one NAD per network instance (--ni,
--from-zedrouter). Node subnets: PodCIDR /p with NodeBits b gives 2^b subnets of /(p+b):
gateway .1, pods .2 to the last address before broadcast. A node keeps its subnet across
reruns; the file is locked. --etcd URL[,URL] (such as --etcd http://10.1.0.5:2379) keeps
the allocations in etcd instead, for nodes that share no file: records keyed by node name
under --etcd-prefix, claimed by compare-and-swap, so nodes rendering at once never get the
same subnet.`;

export function registerRender(root: Root, exec: Executor): void {
  root.command("render")
    .description(
      "Render the node's CNI configs: EVE's layout (Multus + one NAD) or per-NI NADs",
    )
    .option("--layout <layout>", "eve (EVE's Multus config and one NAD) or per-ni", "eve")
    .option("--node-ip <ip>", "the node IP, required (EVE-app pods route to it via eth0)")
    .option("--service-cidr <cidr>", "Kubernetes service CIDR (eve-bridge default 10.43.0.0/16)")
    .option("--namespace <ns>", "namespace of the NetworkAttachmentDefinitions", EVE_APP_NAMESPACE)
    .option("--out-dir <dir>", "write the files there instead of printing them")
    .option("--node <name>", "per-ni: node name (default: the host name)")
    .option("--pod-cidr <cidr>", "per-ni: cluster pod CIDR split into node subnets", "10.42.0.0/16")
    .option(
      "--node-bits <n>",
      "per-ni: bits that number the nodes (a /16 with 8 gives /24s)",
      parsePositiveInt,
      8,
    )
    .option(
      "--alloc-file <path>",
      "per-ni: persisted node subnet allocations",
      DEFAULT_NODE_SUBNET_FILE,
    )
    .option("--etcd <urls>", "per-ni: keep node subnets in this etcd (comma-separated URLs)")
    .option("--etcd-prefix <prefix>", "per-ni: key prefix in etcd", DEFAULT_ETCD_PREFIX)
    .option("--bridge <name>", "per-ni: the eth0 bridge", "cni0")
    .option(
      "--ni <name=uuid>",
      "per-ni: a network instance (repeat)",
      (val, acc: string[]) => [...acc, val],
      [] as string[],
    )
    .option(
      "--from-zedrouter",
      "per-ni: also take the network instances from Inspect.NetworkInstances",
      false,
    )
    .addHelpText("after", HELP)
    .action(async function () {
      const perNiFlagsGiven = Object.entries(PER_NI_FLAGS)
        .filter(([key]) => this.getOptionValueSource(key) === "cli")
        .map(([, flag]) => flag);
      const o: RenderOptions = { ...this.opts(), perNiFlagsGiven };
      await exec.run(this.optsWithGlobals(), async (ctx) => {
        const model = await renderConfigs(ctx, o);
        return { model, human: formatRenderModel(model), exitCode: ExitCode.Ok } satisfies Outcome;
      });
    });
}
