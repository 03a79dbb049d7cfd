/**
 * A handler whose module is evaluated on its first use. Every CNI call is a new process, and
 * evaluating the zedrouter flow's modules (the RPC contracts' schemas, DHCP, detach) cost
 * eth0's calls ~5 ms of CPU they never use (`--cpu-prof` of an eth0 ADD); eth0's handler is
 * small and stays static. The bundler turns the dynamic import into a lazily evaluated
 * module of the same file (scripts/bundle_test.ts).
 */
import type { EveContext, EveGcContext, InterfaceHandler } from "./handler.ts";

export function lazyHandler(
  name: string,
  load: () => Promise<InterfaceHandler>,
): InterfaceHandler {
  let loaded: Promise<InterfaceHandler> | undefined;
  const handler = () => loaded ??= load();
  return {
    name,
    add: async (ctx: EveContext) => (await handler()).add(ctx),
    del: async (ctx: EveContext) => (await handler()).del(ctx),
    check: async (ctx: EveContext) => (await handler()).check(ctx),
    status: async (ctx: EveContext) => await (await handler()).status?.(ctx),
    gc: async (ctx: EveGcContext) => await (await handler()).gc?.(ctx),
  };
}
