export * from "./values.ts";
export * from "./files.ts";
export * from "./errors.ts";
export * from "./text_table.ts";
export * from "./temp_dir.ts";
export * from "./trusted_dir.ts";
export * from "./path_schema.ts";
