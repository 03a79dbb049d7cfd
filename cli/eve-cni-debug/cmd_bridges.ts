/**
 * `bridges`: the node's bridges as the kernel has them, each with its ports and the network
 * instance zedrouter says it is. A VXLAN port (a switch NI spanning nodes) shows its VNI,
 * this node's VTEP, the UDP port, where flooded frames go (its peers, or the group) and the
 * MACs learned behind each remote VTEP; a fake-zedrouter's configured peers are compared
 * with the kernel's.
 */
import * as v from "valibot";
import { FLOOD_MAC, getVxlan, type Link, listFdb, listLinks } from "../../netns/mod.ts";
import type { NetworkInstanceInfo } from "../../rpc/mod.ts";
import {
  availabilityOf,
  availabilityProblems,
  BridgeAvailabilitySchema,
  fetchNetworkInstances,
  formatAvailability,
} from "./bridge_availability.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { hostNetns } from "./netns_target.ts";
import type { Executor, Root } from "./root_command.ts";
import { indent, orDash, table } from "./table.ts";

const VxlanPortSchema = v.strictObject({
  vni: v.number(),
  local: v.nullable(v.string()),
  group: v.nullable(v.string()),
  underlay: v.nullable(v.string()),
  udpPort: v.number(),
  learning: v.boolean(),
  /** From the fdb: the unicast peers (or the group) flooded frames go to. */
  peers: v.array(v.string()),
  /** Remote MACs and the VTEP each was learned behind. */
  learned: v.array(v.strictObject({ mac: v.string(), vtep: v.string() })),
});

const PortSchema = v.strictObject({
  name: v.string(),
  kind: v.nullable(v.string()),
  up: v.boolean(),
  mtu: v.number(),
  vxlan: v.nullable(VxlanPortSchema),
});

export const BridgesModelSchema = v.strictObject({
  /** Null when zedrouter could not be asked (its NIs then stay unnamed). */
  zedrouterNote: v.nullable(v.string()),
  bridges: v.array(v.strictObject({
    name: v.string(),
    /** An OVS bridge (its ports from OVS's database, through zedrouter) or a Linux one. */
    bridgeType: v.optional(v.picklist(["linux", "ovs"]), "linux"),
    mac: v.nullable(v.string()),
    up: v.boolean(),
    mtu: v.number(),
    networkInstance: v.nullable(v.strictObject({
      name: v.string(),
      uuid: v.string(),
      type: v.string(),
    })),
    ports: v.array(PortSchema),
  })),
  /** Each NI's bridge as bridge-marker would report it; empty when zedrouter did not answer. */
  availability: v.optional(v.array(BridgeAvailabilitySchema), []),
  problems: v.array(v.string()),
});
export type BridgesModel = v.InferOutput<typeof BridgesModelSchema>;
type Port = v.InferOutput<typeof PortSchema>;

async function portOf(ctx: CommandContext, link: Link): Promise<Port> {
  const base = { name: link.name, kind: link.kind, up: link.adminUp, mtu: link.mtu };
  if (link.kind !== "vxlan") return { ...base, vxlan: null };
  const ns = hostNetns(ctx.globals.hostNetns);
  const [info, fdb] = await Promise.all([
    getVxlan(ctx.deps.runner, ns, link.name),
    listFdb(ctx.deps.runner, ns, { dev: link.name }),
  ]);
  if (!info) return { ...base, vxlan: null };
  const remote = fdb.filter((e) => e.dst !== null);
  return {
    ...base,
    vxlan: {
      vni: info.vni,
      local: info.local,
      group: info.group,
      underlay: info.device,
      udpPort: info.port,
      learning: info.learning,
      peers: remote.filter((e) => e.mac === FLOOD_MAC).map((e) => e.dst!),
      learned: remote.filter((e) => e.mac !== FLOOD_MAC).map((e) => ({ mac: e.mac, vtep: e.dst! })),
    },
  };
}

/** Where the kernel and zedrouter's config disagree about a spanning NI's uplink. */
function uplinkProblems(model: BridgesModel["bridges"], nis: NetworkInstanceInfo[]): string[] {
  const out: string[] = [];
  for (const ni of nis) {
    const x = ni.vxlan;
    if (!x) continue;
    const port = model.find((b) => b.name === ni.bridge)?.ports.find((p) => p.name === x.device);
    if (!port?.vxlan) {
      out.push(`network instance "${ni.name}": VXLAN device "${x.device}" is not on ${ni.bridge}`);
      continue;
    }
    if (!port.up) out.push(`network instance "${ni.name}": VXLAN device "${x.device}" is down`);
    const missing = x.remotes.filter((r) => !port.vxlan!.peers.includes(r));
    if (missing.length) {
      out.push(`network instance "${ni.name}": peers ${missing.join(", ")} missing from the fdb`);
    }
  }
  return out;
}

export async function inspectBridges(ctx: CommandContext): Promise<BridgesModel> {
  const links = await listLinks(ctx.deps.runner, hostNetns(ctx.globals.hostNetns));
  const fetched = await fetchNetworkInstances(ctx);
  const nis = fetched.nis ?? [];
  const bridges: BridgesModel["bridges"] = [];
  // An OVS bridge's own interface is no kernel bridge, and its ports have no kernel master.
  const ovs = new Map(nis.filter((n) => n.bridgeType === "ovs").map((n) => [n.bridge, n]));
  for (const bridge of links.filter((l) => l.kind === "bridge" || ovs.has(l.name))) {
    const ni = nis.find((n) => n.bridge === bridge.name);
    const ovsNi = ovs.get(bridge.name);
    const ports = ovsNi
      ? links.filter((l) => ovsNi.bridgePorts.includes(l.name))
      : links.filter((l) => l.master === bridge.name);
    bridges.push({
      name: bridge.name,
      bridgeType: ovsNi ? "ovs" : "linux",
      mac: bridge.mac,
      up: bridge.adminUp,
      mtu: bridge.mtu,
      networkInstance: ni ? { name: ni.name, uuid: ni.uuid, type: ni.type } : null,
      ports: await Promise.all(ports.map((p) => portOf(ctx, p))),
    });
  }
  const availability = availabilityOf(nis);
  const problems = [...availabilityProblems(availability), ...uplinkProblems(bridges, nis)];
  return { zedrouterNote: fetched.note, bridges, availability, problems };
}

function vxlanLine(port: Port): string {
  const x = port.vxlan!;
  const flood = x.group ? `group ${x.group}` : `peers ${x.peers.join(", ") || "none"}`;
  return `    ${port.name}: VXLAN VNI ${x.vni}, VTEP ${orDash(x.local)} udp/${x.udpPort}` +
    `${x.underlay ? ` via ${x.underlay}` : ""}, floods to ${flood}`;
}

export function formatBridges(model: BridgesModel): string {
  const lines: string[] = [];
  for (const bridge of model.bridges) {
    const ni = bridge.networkInstance;
    const ovs = bridge.bridgeType === "ovs" ? "OVS, " : "";
    const what = ni ? `${ovs}${ni.type} network instance "${ni.name}"` : "not a network instance";
    lines.push(
      `${bridge.name} (${what}) ${orDash(bridge.mac)} mtu ${bridge.mtu}${bridge.up ? "" : " DOWN"}`,
    );
    const rows = bridge.ports.map((port) => [
      port.name,
      orDash(port.kind),
      port.up ? "up" : "down",
      `${port.mtu}`,
    ]);
    if (rows.length) lines.push(indent(table(["PORT", "KIND", "STATE", "MTU"], rows)));
    for (const port of bridge.ports.filter((candidate) => candidate.vxlan)) {
      lines.push(vxlanLine(port));
      for (const entry of port.vxlan!.learned) {
        lines.push(`      ${entry.mac} behind ${entry.vtep}`);
      }
    }
  }
  if (model.bridges.length === 0) lines.push("No bridges");
  if (model.availability.length) {
    lines.push("", "Network instance bridges (node resources)");
    lines.push(formatAvailability(model.availability));
  }
  if (model.zedrouterNote) lines.push(`(network instances unnamed: ${model.zedrouterNote})`);
  for (const problem of model.problems) lines.push(`problem: ${problem}`);
  return lines.join("\n");
}

export function registerBridges(root: Root, exec: Executor): void {
  root.command("bridges")
    .description(
      "The node's bridges and ports; VXLAN ports with their VNI, peers and VTEPs; which " +
        "network instances' bridges are available",
    )
    .addHelpText(
      "after",
      `
Exit ${ExitCode.Ok}, or ${ExitCode.ProblemsFound} when a network instance's bridge is missing or down (its
bridge.network.kubevirt.io/<bridge> resource is then not available), or a spanning network
instance's VXLAN port is missing, down or lacks a configured peer.

Examples:
  eve-cni-debug bridges
  eve-cni-debug bridges --json | jq '.bridges[].ports[] | select(.vxlan)'
  eve-cni-debug bridges --json | jq -r '.availability[] | select(.available) | .resource'`,
    )
    .action(async (_opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const model = await inspectBridges(ctx);
        const exitCode = model.problems.length ? ExitCode.ProblemsFound : ExitCode.Ok;
        return { model, human: formatBridges(model), exitCode };
      });
    });
}
