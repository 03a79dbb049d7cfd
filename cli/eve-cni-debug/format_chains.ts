/**
 * Human text for chains (pods, show, check): pure functions of the model, for snapshots.
 * "format" is text for a person; "render" (the command, cni_configs.ts) writes CNI configs.
 */
import type { Chain, ChainLink } from "./chain.ts";
import type { Snapshot } from "./snapshot.ts";
import { orDash, table } from "./table.ts";

const MARK: Record<ChainLink["status"], string> = {
  ok: "ok",
  problem: "PROBLEM",
  unknown: "?",
  "n/a": "-",
};

/** One line saying where zedrouter's view came from, when it is not the Inspect service. */
export function sourceNote(zedrouter: Snapshot["zedrouter"]): string | null {
  if (zedrouter.source === "inspect") return null;
  const from = zedrouter.source === "state-file"
    ? "zedrouter's state file"
    : "nothing (no zedrouter view)";
  return `note: zedrouter facts from ${from}${zedrouter.note ? `: ${zedrouter.note}` : ""}`;
}

export function formatPodsTable(
  chains: readonly Chain[],
  zedrouter: Snapshot["zedrouter"],
): string {
  const note = sourceNote(zedrouter);
  const body = chains.length === 0 ? "No pod attachments found" : table(
    ["POD", "IFNAME", "BRIDGE", "HOST VETH", "MAC", "ADDRESS", "STATUS"],
    chains.map((c) => [
      c.podName,
      c.ifname,
      orDash(c.bridge),
      orDash(c.hostIfName),
      orDash(c.mac),
      orDash(c.address),
      c.ok ? "ok" : `${c.problems.length} problem(s): ${c.problems[0]}`,
    ]),
  );
  return note ? `${body}\n${note}` : body;
}

const STEP_LABEL: Record<ChainLink["step"], string> = {
  pod: "pod",
  app: "app",
  adapter: "adapter",
  "network-instance": "network instance",
  bridge: "bridge",
  "host-veth": "host veth",
  "pod-interface": "pod interface",
  "dhcp-reservation": "DHCP reservation",
  "dhcp-lease": "DHCP lease",
  "dhcp-client": "DHCP client",
  "routing-policy": "routing policy",
};

export function formatChain(chain: Chain): string {
  const head =
    `${chain.podName}${chain.podNamespace ? ` (${chain.podNamespace})` : ""} ${chain.ifname}` +
    `${chain.containerId ? ` container ${chain.containerId.slice(0, 12)}` : ""}: ` +
    (chain.ok ? "ok" : `${chain.problems.length} problem(s)`);
  const rows: string[][] = [];
  for (const l of chain.links) {
    rows.push([MARK[l.status], STEP_LABEL[l.step], l.detail]);
    for (const p of l.problems) rows.push(["", "", `-> ${p}`]);
  }
  return `${head}\n${
    table(["", "LINK", "DETAIL"], rows).split("\n").slice(1).map((l) => `  ${l}`).join("\n")
  }`;
}

export function formatChains(chains: readonly Chain[], zedrouter: Snapshot["zedrouter"]): string {
  const note = sourceNote(zedrouter);
  const parts = chains.map(formatChain);
  if (note) parts.push(note);
  return parts.join("\n\n");
}
