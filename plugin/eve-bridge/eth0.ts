/**
 * eth0, the Kubernetes network: zedrouter is not involved; the call goes to the standard
 * `bridge` plugin (found on CNI_PATH) with the settings EVE's eve-bridge always used:
 * `isDefaultGateway = !isEveApp`, `forceAddress = true`, `hairpinMode = true`. EVE apps keep
 * their default route on their EVE network instance, so their eth0 only gets routes to the
 * cluster's service CIDR and to the node IP (appended to `ipam.routes`). On an EVE node the
 * caller is k3s's flannel plugin, whose delegate config names `nodeIP` as `"<ip>/32"` and no
 * `isGateway` (which eve-bridge then sets); DEL releases the address even when bridge's DEL
 * fails (eth0_del.ts).
 */
import {
  CniError,
  CniErrorCode,
  type CniResult,
  delegate,
  EveErrorCode,
  findPlugin,
  withUndo,
} from "../cni/mod.ts";
import { libcRunner } from "../../netns/mod.ts";
import { BRIDGE_PLUGIN, delEth0 } from "./eth0_del.ts";
import { gcHostLocalAddresses } from "./eth0_gc.ts";
import type { EveContext, InterfaceHandler } from "./handler.ts";
import {
  addRoutingPolicy,
  checkAppliedPolicy,
  checkRoutingPolicyConfig,
  hostEndOf,
  releaseRecordedPolicy,
  withInterfaceMac,
} from "./routing_policy.ts";
import { ETH0, isEveApp, nodeIpCidr, routingRecordPath } from "../../core/eve/mod.ts";

export { BRIDGE_PLUGIN, ETH0 };

/** eve-bridge's own fields: the bridge plugin does not need to see them. */
const EVE_ONLY_FIELDS = [
  "zedrouterSocket",
  "nodeIP",
  "serviceCIDR",
  "clusterCIDR",
  "logFile",
  "stateDir",
  "dhcp",
  "dhcpDaemonSocket",
  "routingPolicy",
];

/**
 * The config handed to `bridge`: the raw config (unknown keys kept) minus eve-bridge's fields,
 * with EVE's fixed settings and, for EVE apps, the extra ipam routes. `requireNodeIp` is false
 * for DEL, which must work even from a config that lost the field.
 */
export function bridgeConfig(ctx: EveContext, requireNodeIp: boolean): Record<string, unknown> {
  const eveApp = isEveApp(ctx.args);
  const out: Record<string, unknown> = { ...ctx.rawConfig };
  for (const field of EVE_ONLY_FIELDS) delete out[field];
  out.isDefaultGateway = !eveApp;
  // Every route on eth0 goes via the bridge's gateway (host-local's), EVE apps' included; bridge
  // puts it on the bridge only with isGateway, which flannel sets only for type "bridge". An
  // EVE app first on a node would otherwise route to an address no one holds.
  out.isGateway ??= true;
  out.forceAddress = true;
  out.hairpinMode = true;
  if (eveApp) {
    const nodeIp = ctx.config.nodeIP;
    if (nodeIp === undefined && requireNodeIp) {
      throw new CniError(
        CniErrorCode.InvalidConfig,
        'Missing "nodeIP" in the network configuration for an EVE app pod',
        `Pods in namespace "${ctx.args.podNamespace}" get a route to the node IP on eth0; ` +
          'add "nodeIP": "<the node\'s IP>/32" to the eve-bridge config (EVE\'s Multus config has it)',
      );
    }
    const ipam = { ...(ctx.config.ipam ?? {}) } as Record<string, unknown>;
    // A cluster-wide ipam config often routes 0.0.0.0/0 for ordinary pods; on an EVE app's
    // eth0 that default route is exactly what must not be (its default route belongs to its
    // network instance, and zedrouter would silently keep the eth0 one), so it is dropped.
    const routes = (Array.isArray(ipam.routes) ? ipam.routes : []).filter((route) => {
      const dropped = isDefaultRoute(route);
      if (dropped) {
        ctx.logger.warn("Dropping the default route {route} of ipam.routes for an EVE app", {
          route,
        });
      }
      return !dropped;
    });
    routes.push({ dst: ctx.config.serviceCIDR });
    if (nodeIp !== undefined) routes.push({ dst: nodeIpCidr(nodeIp) });
    ipam.routes = routes;
    out.ipam = ipam;
  }
  return out;
}

/**
 * bridge's refusal of an interface name the pod already has: it creates the pod's veth end
 * under CNI_IFNAME first and stops at EEXIST before any IPAM call ("container veth name
 * provided (eth0) already exists", code 999, containernetworking/plugins pkg/ip), so nothing of
 * this call is left to undo.
 */
function isInterfaceExists(error: unknown, ifname: string): error is CniError {
  return error instanceof CniError && error.msg.includes(`(${ifname}) already exists`);
}

function interfaceExists(ctx: EveContext, cause: CniError): CniError {
  return new CniError(
    EveErrorCode.InterfaceExists,
    `Interface "${ctx.ifname}" already exists in "${ctx.netns}"`,
    `Run DEL for this container and interface before adding it again (${BRIDGE_PLUGIN}: ${cause.msg})`,
  );
}

function isDefaultRoute(route: unknown): boolean {
  const dst = (route as { dst?: unknown } | null)?.dst;
  return dst === "0.0.0.0/0" || dst === "::/0";
}

/**
 * Routes without `gw` in bridge's result were installed via the interface's gateway
 * (bridge's ipam.ConfigureIface picks the gateway of the same family). The result says so
 * explicitly, because bridge's own CHECK later compares a gw-less route with the kernel's
 * `via <gateway>` route and fails.
 */
export function withRouteGateways(result: CniResult): CniResult {
  const gateways = new Map<boolean, string>();
  for (const ip of result.ips) {
    if (ip.gateway !== undefined) gateways.set(ip.address.includes(":"), ip.gateway);
  }
  return {
    ...result,
    routes: result.routes.map((route) => {
      const gw = route.gw ?? gateways.get(route.dst.includes(":"));
      return gw === undefined ? route : { ...route, gw };
    }),
  };
}

export const eth0BridgeHandler: InterfaceHandler = {
  name: "eth0-bridge",

  add(ctx: EveContext): Promise<CniResult> {
    const config = bridgeConfig(ctx, true);
    checkRoutingPolicyConfig(ctx);
    return withUndo(ctx.logger, async (undo) => {
      findPlugin(BRIDGE_PLUGIN, ctx.path);
      const undoBridge = () =>
        undo.push(`${BRIDGE_PLUGIN} DEL`, () => delEth0(ctx, config, { prevResult: null }));
      const { result } = await delegate(ctx, BRIDGE_PLUGIN, config, { command: "ADD" })
        .catch((error: unknown) => {
          // A repeated ADD must fail without touching the attachment that exists, so bridge's
          // refusal of an existing interface is not rolled back (bridge DEL would remove it).
          // Asking the pod's kernel first instead cost every ADD an nsenter (~7 ms).
          if (isInterfaceExists(error, ctx.ifname)) throw interfaceExists(ctx, error);
          // Any other failure can leave a half-made veth or a held IP.
          undoBridge();
          throw error;
        });
      undoBridge();
      if (!result) {
        throw new CniError(
          CniErrorCode.IoFailure,
          `Delegated plugin "${BRIDGE_PLUGIN}" printed no result for ADD`,
        );
      }
      const routed = await addRoutingPolicy(libcRunner, ctx, undo, {
        hostEnd: hostEndOf(result),
      });
      return withInterfaceMac(withRouteGateways(result), ctx.ifname, routed?.applied.mac ?? null);
    });
  },

  async del(ctx: EveContext): Promise<void> {
    // The policy's node-side entries go even when bridge's DEL fails, and the other way round.
    const record = routingRecordPath(ctx.config.stateDir, ctx.containerId, ctx.ifname);
    const failed = await releaseRecordedPolicy(libcRunner, record, ctx.logger)
      .then(() => undefined, (error: unknown) => error);
    await delEth0(ctx, bridgeConfig(ctx, false));
    if (failed !== undefined) throw failed;
  },

  async check(ctx: EveContext): Promise<void> {
    await delegate(ctx, BRIDGE_PLUGIN, bridgeConfig(ctx, true), { command: "CHECK" });
    await checkAppliedPolicy(libcRunner, ctx);
  },

  gc: gcHostLocalAddresses,
};
