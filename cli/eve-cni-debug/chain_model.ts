/**
 * The shape of a chain and its links (the --json of pods, show and check), and the small
 * constructors the checks use. Split from chain.ts so the DHCP checks can share them.
 */
import * as v from "valibot";

export const STEPS = [
  "pod",
  "app",
  "adapter",
  "network-instance",
  "bridge",
  "host-veth",
  "pod-interface",
  "dhcp-reservation",
  "dhcp-lease",
  "dhcp-client",
  "routing-policy",
] as const;
export type Step = (typeof STEPS)[number];

export const ChainLinkSchema = v.strictObject({
  step: v.picklist(STEPS),
  /** ok: verified; problem: see problems; unknown: no facts to check; n/a: does not apply. */
  status: v.picklist(["ok", "problem", "unknown", "n/a"]),
  detail: v.string(),
  problems: v.array(v.string()),
});
export type ChainLink = v.InferOutput<typeof ChainLinkSchema>;

export const ChainSchema = v.strictObject({
  podName: v.string(),
  podNamespace: v.nullable(v.string()),
  containerId: v.nullable(v.string()),
  ifname: v.string(),
  netnsPath: v.string(),
  appUuid: v.nullable(v.string()),
  bridge: v.nullable(v.string()),
  hostIfName: v.nullable(v.string()),
  mac: v.nullable(v.string()),
  address: v.nullable(v.string()),
  ok: v.boolean(),
  links: v.array(ChainLinkSchema),
  problems: v.array(v.string()),
});
export type Chain = v.InferOutput<typeof ChainSchema>;

export function link(step: Step, detail: string, problems: string[] = []): ChainLink {
  return { step, status: problems.length ? "problem" : "ok", detail, problems };
}
export function unknown(step: Step, detail: string): ChainLink {
  return { step, status: "unknown", detail, problems: [] };
}
export function notApplicable(step: Step, detail: string): ChainLink {
  return { step, status: "n/a", detail, problems: [] };
}
