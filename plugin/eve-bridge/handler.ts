/**
 * eve-bridge picks one handler per interface: eth0 is the Kubernetes network (delegated to
 * the standard `bridge` plugin), every other interface is an EVE network instance reached
 * through zedrouter. A handler sees a fully validated context.
 */
import type { CniContext, CniResult, GcContext } from "../cni/mod.ts";
import type { EveBridgeConfig } from "./config.ts";

export type EveContext = CniContext<EveBridgeConfig>;
export type EveGcContext = GcContext<EveBridgeConfig>;

export interface InterfaceHandler {
  /** Shown in logs ("eth0-bridge", "zedrouter"). */
  readonly name: string;
  /** Creates `ctx.ifname` in `ctx.netns`; undoes its own partial work before throwing. */
  add(ctx: EveContext): Promise<CniResult>;
  /** Idempotent; succeeds when the namespace or interface is already gone. */
  del(ctx: EveContext): Promise<void>;
  /** Verifies `ctx.prevResult` still holds. */
  check(ctx: EveContext): Promise<void>;
  /** STATUS: throw CniError 50/51 when ADD could not be served. */
  status?(ctx: EveContext): Promise<void>;
  /** GC: release what is not in `ctx.validAttachments`; throw one CniError listing failures. */
  gc?(ctx: EveGcContext): Promise<void>;
}
