/**
 * Our own `Inspect.*` service: read-only methods that fake-zedrouter serves for
 * eve-cni-debug. EVE's zedrouter does not serve them; callers must treat
 * `rpc: can't find service Inspect.X` as "not a fake-zedrouter". Params and results are
 * plain JSON in both dialects (no Go peer calls them).
 */
import * as v from "valibot";
import { EVE_METHODS, inspectMethod } from "./contract.ts";

export const NoParamsSchema = v.object({});

export const HealthSchema = v.object({
  /** Program name and version, e.g. `fake-zedrouter 0.1.0`. */
  version: v.string(),
  /** Seconds since the server started. */
  uptimeSeconds: v.number(),
  /** Network namespace inode the server runs in (to tell sandboxes apart). */
  netnsInode: v.nullable(v.number()),
});
export type Health = v.InferOutput<typeof HealthSchema>;

export const INSPECT_METHODS = {
  "Inspect.Health": inspectMethod(NoParamsSchema, HealthSchema, "Server version and uptime"),
} as const;

/** Every method the toolkit knows: EVE's and ours. */
export const ALL_METHODS = { ...EVE_METHODS, ...INSPECT_METHODS } as const;
export type MethodName = keyof typeof ALL_METHODS;
