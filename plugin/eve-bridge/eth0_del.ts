/**
 * eth0's DEL: bridge's DEL, and, when that fails, the IPAM plugin's DEL run by eve-bridge
 * itself. bridge (Debian's 1.1.1) releases the address only after it has removed the veth: a
 * namespace it cannot enter (a netns file left behind by the runtime, no longer a namespace)
 * or any earlier failure returns before host-local is called. On an EVE node nothing retries
 * with the config: flannel, eth0's caller, deletes its saved copy of the config whatever the
 * DEL returned, so a later DEL never reaches us and the address would stay held for good.
 * host-local's DEL is idempotent, so releasing it again after a bridge that did is harmless.
 * bridge's error is still the answer: the veth may be left.
 */
import { errorMessage } from "../../core/mod.ts";
import { delegate } from "../cni/mod.ts";
import type { EveContext } from "./handler.ts";

export const BRIDGE_PLUGIN = "bridge";

export interface Eth0DelOptions {
  /** prevResult to hand on (see DelegateOptions); ADD's rollback sends none. */
  readonly prevResult?: null;
}

export async function delEth0(
  ctx: EveContext,
  config: Readonly<Record<string, unknown>>,
  options: Eth0DelOptions = {},
): Promise<void> {
  try {
    await delegate(ctx, BRIDGE_PLUGIN, config, { command: "DEL", ...options });
  } catch (error) {
    const ipamType = (config.ipam as { type?: unknown } | undefined)?.type;
    if (typeof ipamType === "string" && ipamType !== "") {
      await releaseAddress(ctx, config, ipamType, error);
    }
    throw error;
  }
}

async function releaseAddress(
  ctx: EveContext,
  config: Readonly<Record<string, unknown>>,
  ipamType: string,
  bridgeError: unknown,
): Promise<void> {
  const logFields = { plugin: ipamType, bridgeError: errorMessage(bridgeError) };
  try {
    // IPAM plugins get the whole network config, as bridge itself hands it to them.
    await delegate(ctx, ipamType, config, { command: "DEL", prevResult: null });
    ctx.logger.warn("bridge DEL failed; eth0's address released by {plugin} DEL", logFields);
  } catch (error) {
    ctx.logger.error("bridge DEL failed and {plugin} DEL too: {error}", {
      ...logFields,
      error: errorMessage(error),
    });
  }
}
