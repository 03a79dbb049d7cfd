export * from "./values.ts";
export * from "./files.ts";
