export * from "./contract.ts";
export * from "./go_types.ts";
export * from "./go_codec.ts";
