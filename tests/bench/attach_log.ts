/** eve-bridge's JSON log as bench:attach reads it: its lines, and numbers taken from them. */

export interface LogLine {
  message: string;
  properties: Record<string, unknown>;
}

export async function readLog(path: string): Promise<LogLine[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as { message?: string; properties?: Record<string, unknown> };
      lines.push({ message: parsed.message ?? "", properties: parsed.properties ?? {} });
    } catch {
      // A torn line (rotation); skip.
    }
  }
  return lines;
}

/** A number from each log line whose message starts with `prefix`, for these containers. */
export function logValues(
  lines: LogLine[],
  containers: Set<string>,
  command: string,
  prefix: string,
  value: (properties: Record<string, unknown>) => number,
): number[] {
  return lines
    .filter((l) =>
      l.message.startsWith(prefix) && l.properties.command === command &&
      containers.has(String(l.properties.containerID))
    )
    .map((l) => value(l.properties))
    .filter((n) => Number.isFinite(n));
}

/** A numeric field of the log lines whose message starts with `prefix`, for these containers. */
export function logField(
  lines: LogLine[],
  containers: Set<string>,
  command: string,
  prefix: string,
  field: string,
): number[] {
  return logValues(lines, containers, command, prefix, (p) => Number(p[field]));
}
