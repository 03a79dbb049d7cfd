/**
 * `render` (--layout eve, the default): EVE's own layout (eve_layout.ts), Multus's config with
 * the flannel delegate and the one NetworkAttachmentDefinition, printed or written to
 * --out-dir as `00-multus.conf` and `nad-network-instance-attachment.yaml`.
 */
import * as v from "valibot";
import { EVE_MULTUS_CONFIG_FILE, EVE_NAD_NAME } from "../../core/eve/mod.ts";
import { nadsToYaml } from "./cni_configs.ts";
import type { CommandContext } from "./context.ts";
import {
  type EveLayoutOptions,
  EveNadSchema,
  MultusConfigSchema,
  renderEveNad,
  renderMultusConfig,
} from "./eve_layout.ts";

export const EveRenderModelSchema = v.strictObject({
  layout: v.literal("eve"),
  multusConfig: MultusConfigSchema,
  nad: EveNadSchema,
  /** Files written with --out-dir; empty when printing. */
  written: v.array(v.string()),
});
export type EveRenderModel = v.InferOutput<typeof EveRenderModelSchema>;

export const EVE_NAD_FILE = `nad-${EVE_NAD_NAME}.yaml`;

export async function renderEve(
  ctx: CommandContext,
  o: Omit<EveLayoutOptions, "zedrouterSocket" | "logFile"> & { outDir?: string },
): Promise<EveRenderModel> {
  const options: EveLayoutOptions = {
    nodeIP: o.nodeIP,
    ...(o.serviceCIDR !== undefined && { serviceCIDR: o.serviceCIDR }),
    ...(o.namespace !== undefined && { namespace: o.namespace }),
    zedrouterSocket: ctx.globals.socket,
    logFile: ctx.globals.logFile,
  };
  const multusConfig = renderMultusConfig(options);
  const nad = renderEveNad(options);
  const written: string[] = [];
  if (o.outDir !== undefined) {
    await Deno.mkdir(o.outDir, { recursive: true });
    const multusPath = `${o.outDir}/${EVE_MULTUS_CONFIG_FILE}`;
    await Deno.writeTextFile(multusPath, JSON.stringify(multusConfig, null, 2) + "\n");
    const nadPath = `${o.outDir}/${EVE_NAD_FILE}`;
    await Deno.writeTextFile(nadPath, nadsToYaml([nad]));
    written.push(multusPath, nadPath);
  }
  return { layout: "eve", multusConfig, nad, written };
}

/** Human text: what the layout is, then either the files written or the documents. */
export function formatEve(model: EveRenderModel): string {
  const head = [
    "# EVE's layout: Multus's cluster network cbr0 (flannel -> eve-bridge, then portmap; the " +
    "pod subnet comes from flannel)",
    `# and one NetworkAttachmentDefinition, ${EVE_NAD_NAME}, for every network instance ` +
    "(zedrouter picks it by the pod's MAC)",
  ];
  if (model.written.length) return [...head, ...model.written.map((p) => `wrote ${p}`)].join("\n");
  return [
    head.join("\n"),
    `# ${EVE_MULTUS_CONFIG_FILE} (Multus's config, in its CNI conf dir)`,
    JSON.stringify(model.multusConfig, null, 2),
    `# NetworkAttachmentDefinition\n${nadsToYaml([model.nad]).trimEnd()}`,
  ].join("\n");
}
