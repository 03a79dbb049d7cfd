/**
 * Plain-text output helpers for the human output, beside the tables every program's text
 * output shares (core/text_table.ts).
 */
export { orDash, table } from "../../core/mod.ts";

/** `key: value` lines with the keys aligned. */
export function keyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, value]) => `${`${k}:`.padEnd(width + 1)} ${value}`.trimEnd()).join("\n");
}

/** Indents every line of `text` by `n` spaces. */
export function indent(text: string, n = 2): string {
  const pad = " ".repeat(n);
  return text.split("\n").map((l) => l === "" ? l : pad + l).join("\n");
}
