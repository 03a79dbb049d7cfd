/**
 * The in-place upgrade from EVE's Go eve-bridge: a pod it attached has no state of ours, and
 * its netX address came from the CNI `dhcp` IPAM plugin, whose daemon (`dhcpDaemonSocket`,
 * default /run/cni/dhcp.sock) holds the lease and renews it until a `dhcp` DEL for the same
 * container, network name and interface tells it to let go. Our DEL of such a pod asks that
 * plugin as the Go plugin's DEL did: the whole config with `ipam` replaced by
 * `{"type": "dhcp"}` (plus `daemonSocketPath`, the configured socket).
 *
 * The daemon's DHCPRELEASE goes out through the pod interface, so it is asked BEFORE
 * DisconnectPod removes the veth: CheckPodConnection says whether the attachment uses DHCP
 * (the Go plugin read DisconnectPod's UsedDHCP, which comes too late for the release to leave).
 * When the check fails, DisconnectPod's UsedDHCP still has the daemon drop the lease: it stops
 * renewing, and the server keeps the address only until the lease expires.
 */
import { errorMessage } from "../../../core/mod.ts";
import { isVmi } from "../../../core/eve/mod.ts";
import { delegate } from "../../cni/mod.ts";
import type { EveContext } from "../handler.ts";

export const DHCP_PLUGIN = "dhcp";

export interface GoPluginLease {
  /** The dhcp plugin's DEL; best effort (a failure is logged: there is no state to retry). */
  release(moment: "before DisconnectPod" | "after DisconnectPod"): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * How to release what the Go plugin may hold for this DEL, or undefined when it cannot hold
 * anything: a VMI (L2 only, the guest ran DHCP) or no dhcp daemon on the node. Only asked
 * when we have no state for the attachment.
 */
export async function goPluginLeaseOf(ctx: EveContext): Promise<GoPluginLease | undefined> {
  if (isVmi(ctx.args)) return undefined;
  const socket = ctx.config.dhcpDaemonSocket;
  if (!(await exists(socket))) return undefined;
  const config = { ...ctx.rawConfig, ipam: { type: DHCP_PLUGIN, daemonSocketPath: socket } };
  return {
    async release(moment) {
      const fields = { plugin: DHCP_PLUGIN, socket, moment };
      try {
        await delegate(ctx, DHCP_PLUGIN, config, { command: "DEL", prevResult: null });
        ctx.logger.info("Released the Go plugin's lease with {plugin} DEL ({moment})", fields);
      } catch (error) {
        ctx.logger.warn("Cannot release the Go plugin's lease with {plugin} DEL: {error}", {
          ...fields,
          error: errorMessage(error),
        });
      }
    },
  };
}
