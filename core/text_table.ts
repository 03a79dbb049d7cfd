/**
 * Plain-text tables for the programs' human output: columns padded to their widest cell, no
 * colour (the output goes to terminals, pagers, CI logs and bug reports alike).
 */

/** Renders rows under a header; every row must have as many cells as the header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)).join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A value or a dash for "none". */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === "" ? "-" : String(value);
}
