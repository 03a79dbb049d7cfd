/**
 * The eve-bridge plugin object the CNI skeleton runs: per-interface handler selection (eth0
 * -> bridge delegation, any other -> zedrouter), STATUS (zedrouter's socket plus delegates
 * that speak 1.1.0) and GC (forwarded the same way, then each handler's own: eth0's releases
 * host-local addresses of unlisted pods, eth0_gc.ts; the zedrouter one detaches attachments).
 */
import { errorMessage } from "../../core/mod.ts";
import {
  CniError,
  CniErrorCode,
  type CniPlugin,
  type CniResult,
  delegate,
  delegateSupports,
  EveErrorCode,
  findPlugin,
  runAll,
  type Step,
} from "../cni/mod.ts";
import { DEFAULT_EVE_BRIDGE_LOG_FILE } from "../../core/eve/mod.ts";
import { type EveBridgeConfig, EveBridgeConfigSchema } from "./config.ts";
import { BRIDGE_PLUGIN, bridgeConfig, ETH0, eth0BridgeHandler } from "./eth0.ts";
import type { EveContext, EveGcContext, InterfaceHandler } from "./handler.ts";
import { checkNodePaths, checkNodePathsForDel } from "./node_paths.ts";
import { lazyHandler } from "./lazy_handler.ts";
import { gcRoutingPolicies } from "./routing_policy.ts";
import { libcRunner } from "../../netns/mod.ts";
import type { ZedrouterProbe } from "./zedrouter_probe.ts";

export interface EveBridgeDeps {
  /** Handler for eth0 (default: bridge delegation). */
  readonly eth0?: InterfaceHandler;
  /** Handler for every other interface (default: the zedrouter flow). */
  readonly podInterface?: InterfaceHandler;
  /** STATUS's zedrouter check (default: dial the socket and wait for an answer). */
  readonly probeZedrouter?: ZedrouterProbe;
}

/** Plugins eth0 depends on: bridge and its IPAM plugin. */
function eth0Delegates(ctx: EveContext): string[] {
  const ipamType = ctx.config.ipam?.type;
  return ipamType ? [BRIDGE_PLUGIN, ipamType] : [BRIDGE_PLUGIN];
}

/** Delegates that speak 1.1.0 get STATUS/GC; Debian's 1.1.1 plugins stop at 1.0.0. */
async function forwardToModernDelegates(
  ctx: EveContext,
  command: "STATUS" | "GC",
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const type of eth0Delegates(ctx)) {
    if (!(await delegateSupports(ctx, type, "1.1.0"))) {
      ctx.logger.debug("Skipping {command} for {plugin}: it does not speak cniVersion 1.1.0", {
        plugin: type,
      });
      continue;
    }
    // IPAM plugins get the whole network config, as bridge itself hands it to them.
    const config = bridgeConfig(ctx, false);
    steps.push({
      label: `${command} of ${type}`,
      run: () => delegate(ctx, type, config, { command, maxVersion: "1.1.0" }),
    });
  }
  return steps;
}

/** Releases the routing records of unlisted attachments of this network. */
async function gcPolicies(ctx: EveGcContext): Promise<void> {
  const { stateDir, name } = ctx.config;
  const failures = await gcRoutingPolicies(
    libcRunner,
    stateDir,
    name,
    ctx.validAttachments,
    ctx.logger,
  );
  if (failures.length > 0) throw new Error(failures.join("; "));
}

/** The zedrouter flow and STATUS's probe load the RPC client only when used (lazy_handler.ts). */
const ZEDROUTER_HANDLER = lazyHandler(
  "zedrouter",
  async () => (await import("./pod_interface.ts")).podInterfaceHandler,
);
const probeZedrouter: ZedrouterProbe = async (path) =>
  await (await import("./zedrouter_probe.ts")).probeZedrouterSocket(path);

export function createEveBridgePlugin(deps: EveBridgeDeps = {}): CniPlugin<EveBridgeConfig> {
  const eth0 = deps.eth0 ?? eth0BridgeHandler;
  const podInterface = deps.podInterface ?? ZEDROUTER_HANDLER;
  const probe = deps.probeZedrouter ?? probeZedrouter;
  const handlerFor = (ctx: EveContext): InterfaceHandler => {
    const handler = ctx.ifname === ETH0 ? eth0 : podInterface;
    ctx.logger.debug("Interface {ifname} handled by {handler}", { handler: handler.name });
    return handler;
  };

  return {
    name: "eve-bridge",
    configSchema: EveBridgeConfigSchema,
    defaultLogFile: DEFAULT_EVE_BRIDGE_LOG_FILE,
    // The node paths are checked before a handler reads or writes anything there.
    add(ctx): Promise<CniResult> {
      checkNodePaths(ctx.config);
      return handlerFor(ctx).add(ctx);
    },
    del(ctx) {
      checkNodePathsForDel(
        ctx.config,
        (error) =>
          ctx.logger.warn("No state dir, and none can be made: {error}", {
            error: errorMessage(error),
          }),
      );
      return handlerFor(ctx).del(ctx);
    },
    check(ctx) {
      checkNodePaths(ctx.config);
      return handlerFor(ctx).check(ctx);
    },

    async status(ctx): Promise<void> {
      try {
        await probe(ctx.config.zedrouterSocket);
      } catch (error) {
        throw new CniError(
          CniErrorCode.PluginNotAvailable,
          `zedrouter does not answer on "${ctx.config.zedrouterSocket}"`,
          `${errorMessage(error)}; ` +
            'check that zedrouter runs, or fix "zedrouterSocket" in the config',
        );
      }
      for (const type of eth0Delegates(ctx)) {
        try {
          findPlugin(type, ctx.path);
        } catch (error) {
          const cni = error as CniError;
          throw new CniError(CniErrorCode.PluginNotAvailable, cni.msg, cni.details);
        }
      }
      const steps = await forwardToModernDelegates(ctx, "STATUS");
      for (const handler of [eth0, podInterface]) {
        if (handler.status) await handler.status(ctx);
      }
      for (const step of steps) await step.run();
    },

    async gc(ctx: EveGcContext): Promise<void> {
      checkNodePaths(ctx.config);
      const steps = await forwardToModernDelegates(ctx, "GC");
      for (const handler of [eth0, podInterface]) {
        const gc = handler.gc;
        if (gc) steps.push({ label: `GC of ${handler.name}`, run: () => gc(ctx) });
      }
      // Last: a detached attachment's record is gone by now; what is left has no attachment.
      steps.push({ label: "GC of routing policies", run: () => gcPolicies(ctx) });
      await runAll(steps, ctx.logger, {
        code: EveErrorCode.GcPartialFailure,
        msg: "GC could not release every stale attachment",
      });
    },
  };
}
