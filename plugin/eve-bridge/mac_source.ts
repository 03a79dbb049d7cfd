/**
 * The pod interface's MAC: zedrouter picks the app adapter by it, so it must be there and
 * valid. Sources in the reference plugins' precedence (later wins): CNI_ARGS `MAC` <
 * `args.cni.mac` < `runtimeConfig.mac` (the `mac` capability, what Multus fills from the
 * pod's network annotation).
 */
import * as v from "valibot";
import { describeIssues, UnicastMacSchema } from "../../core/mod.ts";
import { CniError, CniErrorCode } from "../cni/mod.ts";
import type { EveContext } from "./handler.ts";

export interface MacChoice {
  /** null: none given, zedrouter picks the adapter by `networkInstance` and reports its MAC. */
  readonly mac: string | null;
  readonly source: "runtimeConfig.mac" | "args.cni.mac" | "CNI_ARGS MAC" | "zedrouter";
}

function field(obj: unknown, ...keys: string[]): unknown {
  let at: unknown = obj;
  for (const key of keys) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The MAC to ask zedrouter for, validated; code 7 (or 4 for CNI_ARGS) when bad or missing. */
export function resolveMac(ctx: Pick<EveContext, "config" | "args" | "ifname">): MacChoice {
  const candidates: [MacChoice["source"], unknown][] = [
    ["runtimeConfig.mac", field(ctx.config.runtimeConfig, "mac")],
    ["args.cni.mac", field(ctx.config.args, "cni", "mac")],
    ["CNI_ARGS MAC", ctx.args.mac],
  ];
  for (const [source, raw] of candidates) {
    if (raw === undefined || raw === null || raw === "") continue;
    const parsed = v.safeParse(UnicastMacSchema, raw);
    if (!parsed.success) {
      throw new CniError(
        source === "CNI_ARGS MAC" ? CniErrorCode.InvalidEnv : CniErrorCode.InvalidConfig,
        `Invalid ${source} ${JSON.stringify(raw)}`,
        describeIssues(parsed.issues),
      );
    }
    return { mac: parsed.output, source };
  }
  if (ctx.config.networkInstance !== undefined) return { mac: null, source: "zedrouter" };
  throw new CniError(
    CniErrorCode.InvalidConfig,
    `Missing the MAC of interface "${ctx.ifname}"`,
    "zedrouter finds the app adapter by its MAC: set it in the pod's network annotation " +
      '(runtimeConfig.mac via the "mac" capability), args.cni.mac or CNI_ARGS MAC, or name ' +
      'the adapter\'s network instance with "networkInstance" in the config',
  );
}
