/** eve-bridge: the CNI plugin object and the pieces other code may reuse. */
export { createEveBridgePlugin, type EveBridgeDeps } from "./plugin.ts";
export { type DhcpConfig, type EveBridgeConfig, EveBridgeConfigSchema } from "./config.ts";
export type { EveContext, EveGcContext, InterfaceHandler } from "./handler.ts";
export { probeZedrouterSocket, type ZedrouterProbe } from "./zedrouter_probe.ts";
export { bridgeConfig, ETH0 } from "./eth0.ts";
export { createPodInterfaceHandler, type PodInterfaceDeps } from "./pod_interface.ts";
export { DHCP_EVENT_COMMAND, runDhcpEvent } from "./dhcp/mod.ts";
