/**
 * eve-bridge's structured log: JSON lines written by LogTape's jsonLinesFormatter
 * (`{"@timestamp","level","message","logger","properties":{command, containerID, ifname,
 * podNamespace, podName, durationMs, ...}}`). Parsing, filtering and per-step durations are
 * pure functions here; cmd_logs.ts reads the files.
 */
import * as v from "valibot";

/** One line as LogTape writes it; loose, since plugin code adds its own properties. */
export const LogLineSchema = v.looseObject({
  "@timestamp": v.string(),
  level: v.string(),
  message: v.optional(v.string(), ""),
  logger: v.optional(v.string(), ""),
  properties: v.optional(v.record(v.string(), v.unknown()), {}),
});

export const LogEntrySchema = v.strictObject({
  timestamp: v.string(),
  level: v.string(),
  message: v.string(),
  command: v.string(),
  containerId: v.string(),
  ifname: v.string(),
  podNamespace: v.string(),
  podName: v.string(),
  /** Milliseconds since the invocation started, as logged. */
  durationMs: v.nullable(v.number()),
  /** Milliseconds since the previous line of the same invocation (the step's duration). */
  stepMs: v.nullable(v.number()),
  /** The remaining properties (code, msg, plugin, exitCode...). */
  extra: v.record(v.string(), v.unknown()),
});
export type LogEntry = v.InferOutput<typeof LogEntrySchema>;

const KNOWN = new Set([
  "command",
  "containerID",
  "ifname",
  "podNamespace",
  "podName",
  "durationMs",
]);

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** Parses log text; lines that are not LogTape JSON are counted, not fatal. */
export function parseLog(content: string): { entries: LogEntry[]; skipped: number } {
  const entries: LogEntry[] = [];
  let skipped = 0;
  const lastAt = new Map<string, number>();
  for (const line of content.split("\n")) {
    if (line.trim() === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const parsed = v.safeParse(LogLineSchema, raw);
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const p = parsed.output.properties;
    const durationMs = typeof p.durationMs === "number" ? p.durationMs : null;
    const entry: LogEntry = {
      timestamp: parsed.output["@timestamp"],
      level: parsed.output.level,
      message: parsed.output.message,
      command: text(p.command),
      containerId: text(p.containerID),
      ifname: text(p.ifname),
      podNamespace: text(p.podNamespace),
      podName: text(p.podName),
      durationMs,
      stepMs: null,
      extra: Object.fromEntries(Object.entries(p).filter(([k]) => !KNOWN.has(k))),
    };
    // One invocation = one command on one container interface; a new "Started" restarts it.
    const key = `${entry.command} ${entry.containerId} ${entry.ifname}`;
    if (durationMs !== null) {
      const previous = lastAt.get(key);
      entry.stepMs = previous === undefined || durationMs < previous
        ? durationMs
        : durationMs - previous;
      lastAt.set(key, durationMs);
    }
    entries.push(entry);
  }
  return { entries, skipped };
}

export interface LogFilter {
  pod?: string;
  container?: string;
  ifname?: string;
  command?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  until?: number;
}

/** Pod: exact name or a prefix (all pods of an app); container: an ID prefix, as people paste short IDs. */
export function matches(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.pod !== undefined && !entry.podName.startsWith(filter.pod)) return false;
  if (filter.container !== undefined && !entry.containerId.startsWith(filter.container)) {
    return false;
  }
  if (filter.ifname !== undefined && entry.ifname !== filter.ifname) return false;
  if (
    filter.command !== undefined && entry.command.toUpperCase() !== filter.command.toUpperCase()
  ) {
    return false;
  }
  const at = Date.parse(entry.timestamp);
  if (filter.since !== undefined && !(at >= filter.since)) return false;
  if (filter.until !== undefined && !(at <= filter.until)) return false;
  return true;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m`, `2h`, `30s`, `1d` before now, or an ISO 8601 time; undefined when neither. */
export function parseTimeBound(value: string, now: Date): number | undefined {
  const rel = /^(\d+)([smhd])$/.exec(value);
  if (rel) return now.getTime() - Number(rel[1]) * (UNIT_MS[rel[2]!] ?? 0);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

function extraText(extra: Record<string, unknown>): string {
  const parts = Object.entries(extra)
    // The stdin config is there for `replay` and --json; on a readable line it is noise.
    .filter(([k]) => k !== "stack" && k !== "config")
    .map(([k, val]) => `${k}=${typeof val === "string" ? val : JSON.stringify(val)}`);
  return parts.length ? `  {${parts.join(", ")}}` : "";
}

/** One readable line per entry: time, level, command, container, interface, pod, step time. */
export function formatLogLine(entry: LogEntry): string {
  const pod = entry.podName
    ? `${entry.podNamespace ? `${entry.podNamespace}/` : ""}${entry.podName}`
    : "-";
  const step = entry.stepMs === null ? "" : `+${entry.stepMs}ms`;
  const at = entry.durationMs === null ? "" : ` (${entry.durationMs}ms)`;
  return [
    entry.timestamp,
    entry.level.padEnd(5),
    (entry.command || "-").padEnd(7),
    (entry.containerId.slice(0, 12) || "-").padEnd(12),
    (entry.ifname || "-").padEnd(6),
    pod,
    `${step}${at}`.padStart(1),
    entry.message,
  ].join(" ") + extraText(entry.extra);
}
