/**
 * `render`: the primary conflist for /etc/cni/net.d, a NetworkAttachmentDefinition per
 * network instance, and this node's pod subnet (allocated conflict-free in a locked file).
 */
import * as v from "valibot";
import { IpSchema, UuidSchema } from "../../core/mod.ts";
import {
  nadName,
  nadsToYaml,
  type NiRef,
  PRIMARY_CONFLIST_FILE,
  renderNad,
  renderPrimaryConflist,
} from "./cni_configs.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import { allocateNodeSubnet, DEFAULT_NODE_SUBNET_FILE } from "./node_subnet_file.ts";
import type { NodeSubnet } from "./node_subnets.ts";
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

export interface RenderModel {
  node: string;
  subnet: NodeSubnet;
  allocFile: string;
  conflist: Record<string, unknown>;
  nads: Record<string, unknown>[];
  /** Files written with --out-dir; empty when printing. */
  written: string[];
}

export function parseNiFlag(value: string): NiRef {
  const eq = value.indexOf("=");
  const name = eq < 0 ? "" : value.slice(0, eq);
  const uuid = v.safeParse(UuidSchema, eq < 0 ? "" : value.slice(eq + 1));
  if (!name || !uuid.success) {
    throw new UsageError(
      `Invalid --ni "${value}": expected NAME=UUID such as "local1=${"1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d"}"`,
    );
  }
  return { name, uuid: uuid.output };
}

async function networkInstances(ctx: CommandContext, o: RenderOptions): Promise<NiRef[]> {
  const nis = o.ni.map(parseNiFlag);
  if (o.fromZedrouter) {
    const { globals: g, deps } = ctx;
    const listed = await withClient(
      deps.connect,
      g.socket,
      g,
      (c) => c.call("Inspect.NetworkInstances", {}),
    );
    nis.push(...listed.networkInstances.map((ni) => ({ name: ni.name, uuid: ni.uuid })));
  }
  return nis;
}

export async function renderConfigs(ctx: CommandContext, o: RenderOptions): Promise<RenderModel> {
  const node = o.node ?? ctx.deps.hostname();
  if (o.nodeIp !== undefined && !v.is(IpSchema, o.nodeIp)) {
    throw new UsageError(`Invalid --node-ip "${o.nodeIp}": expected an IP address`);
  }
  const subnet = await allocateNodeSubnet(o.allocFile, {
    podCidr: o.podCidr,
    nodeBits: o.nodeBits,
    node,
  });
  const conflist = renderPrimaryConflist({
    subnet,
    bridge: o.bridge,
    ...(o.nodeIp !== undefined && { nodeIP: o.nodeIp }),
    ...(o.serviceCidr !== undefined && { serviceCIDR: o.serviceCidr }),
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  });
  const nadOptions = {
    ...(o.namespace !== undefined && { namespace: o.namespace }),
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  };
  const nis = await networkInstances(ctx, o);
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
    .option("--node-ip <ip>", "the node IP (EVE-app pods route to it via eth0)")
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
    .option("--namespace <ns>", "namespace of the NetworkAttachmentDefinitions", "eve-kube-app")
    .option("--out-dir <dir>", "write the files there instead of printing them")
    .addHelpText(
      "after",
      `
Examples:
  eve-cni-debug render --node node1 --ni local1=1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d
  eve-cni-debug render --from-zedrouter --out-dir /etc/cni/net.d
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
