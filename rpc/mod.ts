export * from "./contract.ts";
export * from "./go_types.ts";
export * from "./go_codec.ts";
export * from "./inspect_contract.ts";
