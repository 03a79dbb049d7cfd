/**
 * The eve-cni library surface: the zedrouter RPC contract and its Go codec, the RPC client,
 * and the shared value schemas, for other TypeScript tools that talk to zedrouter.
 */
export * from "./core/mod.ts";
export * from "./rpc/mod.ts";
