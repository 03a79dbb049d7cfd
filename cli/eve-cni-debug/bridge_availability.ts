/**
 * Which network instances' bridges this node has, in the form KubeVirt's bridge-marker
 * publishes as node resources (`bridge.network.kubevirt.io/<bridge>`): a scheduler places a
 * pod only on a node that has its bridge, and eve-bridge's ADD fails fast on one without it.
 * Read from zedrouter's Inspect.NetworkInstances, which knows each NI's bridge and its type
 * (a Linux bridge or an OVS one, whose ports the kernel does not list as a bridge's).
 */
import * as v from "valibot";
import { errorMessage } from "../../core/mod.ts";
import type { NetworkInstanceInfo } from "../../rpc/mod.ts";
import type { CommandContext } from "./context.ts";
import { orDash, table } from "./table.ts";
import { withClient } from "./zedrouter_client.ts";

export const RESOURCE_PREFIX = "bridge.network.kubevirt.io/";

export const BridgeAvailabilitySchema = v.strictObject({
  networkInstance: v.string(),
  type: v.string(),
  bridge: v.string(),
  /** `linux` or `ovs`. */
  bridgeType: v.string(),
  /** `bridge.network.kubevirt.io/<bridge>`, published only while `available`. */
  resource: v.string(),
  present: v.boolean(),
  up: v.boolean(),
  ports: v.array(v.string()),
  /** Present and up: pods on this NI can be attached here. */
  available: v.boolean(),
});
export type BridgeAvailability = v.InferOutput<typeof BridgeAvailabilitySchema>;

export function availabilityOf(nis: readonly NetworkInstanceInfo[]): BridgeAvailability[] {
  return nis.map((ni) => ({
    networkInstance: ni.name,
    type: ni.type,
    bridge: ni.bridge,
    bridgeType: ni.bridgeType ?? "linux",
    resource: `${RESOURCE_PREFIX}${ni.bridge}`,
    present: ni.bridgePresent,
    up: ni.bridgeUp,
    ports: [...ni.bridgePorts],
    available: ni.bridgePresent && ni.bridgeUp,
  }));
}

/** One line per NI whose pods cannot be attached on this node. */
export function availabilityProblems(list: readonly BridgeAvailability[]): string[] {
  return list.filter((b) => !b.available).map((b) =>
    `network instance "${b.networkInstance}": bridge "${b.bridge}" ` +
    `${b.present ? "is down" : "does not exist"} (${b.resource} not available; ` +
    "eve-bridge refuses pods on it)"
  );
}

export function formatAvailability(list: readonly BridgeAvailability[]): string {
  if (list.length === 0) return "  (no network instances)";
  return table(
    ["  RESOURCE", "NETWORK INSTANCE", "TYPE", "PRESENT", "UP", "PORTS"],
    list.map((b) => [
      `  ${b.resource}`,
      b.networkInstance,
      b.bridgeType,
      b.present ? "yes" : "NO",
      b.up ? "yes" : "NO",
      orDash(b.ports.join(",") || null),
    ]),
  );
}

/**
 * zedrouter's network instances (with their bridges and configured VXLAN uplinks), or why it
 * could not say (EVE's zedrouter has no Inspect): `bridges` and `status` both read them here.
 */
export async function fetchNetworkInstances(
  ctx: CommandContext,
): Promise<{ nis: NetworkInstanceInfo[] | null; note: string | null }> {
  try {
    const r = await withClient(
      ctx.deps.connect,
      ctx.globals.socket,
      ctx.globals,
      (c) => c.call("Inspect.NetworkInstances", {}),
    );
    return { nis: r.networkInstances, note: null };
  } catch (error) {
    return { nis: null, note: errorMessage(error) };
  }
}

/** zedrouter's NIs as availability entries, or why it could not say. */
export async function fetchAvailability(
  ctx: CommandContext,
): Promise<{ availability: BridgeAvailability[] | null; note: string | null }> {
  const { nis, note } = await fetchNetworkInstances(ctx);
  return { availability: nis === null ? null : availabilityOf(nis), note };
}
