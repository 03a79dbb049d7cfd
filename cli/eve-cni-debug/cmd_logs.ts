/** `logs`: eve-bridge's structured log, filtered, as readable lines with per-step durations. */
import * as v from "valibot";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import {
  formatLogLine,
  type LogEntry,
  LogEntrySchema,
  type LogFilter,
  matches,
  parseLog,
  parseTimeBound,
} from "./log_entries.ts";
import type { Executor, Root } from "./root_command.ts";

export const LogsModelSchema = v.strictObject({
  files: v.array(v.string()),
  skippedLines: v.number(),
  total: v.number(),
  entries: v.array(LogEntrySchema),
});
export type LogsModel = v.InferOutput<typeof LogsModelSchema>;

/** The log and its rotated predecessors (`FILE.1`, `FILE.2`, ...), oldest first. */
async function logFiles(path: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 1; i <= 9; i++) {
    const rotated = `${path}.${i}`;
    if (await Deno.stat(rotated).then(() => true, () => false)) files.unshift(rotated);
  }
  if (await Deno.stat(path).then(() => true, () => false)) files.push(path);
  return files;
}

export interface LogsOptions {
  pod?: string;
  container?: string;
  ifname?: string;
  command?: string;
  since?: string;
  until?: string;
  tail?: number;
}

export function toFilter(options: LogsOptions, now: Date): LogFilter {
  const bound = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const at = parseTimeBound(value, now);
    if (at === undefined) {
      throw new UsageError(
        `Invalid ${flag} "${value}": expected a duration such as "10m" or an ISO time`,
      );
    }
    return at;
  };
  const since = bound("--since", options.since);
  const until = bound("--until", options.until);
  return {
    ...(options.pod !== undefined && { pod: options.pod }),
    ...(options.container !== undefined && { container: options.container }),
    ...(options.ifname !== undefined && { ifname: options.ifname }),
    ...(options.command !== undefined && { command: options.command }),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
  };
}

export async function readLogs(ctx: CommandContext, options: LogsOptions): Promise<LogsModel> {
  const filter = toFilter(options, ctx.deps.now());
  const files = await logFiles(ctx.globals.logFile);
  if (files.length === 0) throw new Error(`No eve-bridge log at "${ctx.globals.logFile}"`);
  let all: LogEntry[] = [];
  let skippedLines = 0;
  for (const file of files) {
    const { entries, skipped } = parseLog(await Deno.readTextFile(file));
    all = all.concat(entries);
    skippedLines += skipped;
  }
  let entries = all.filter((e) => matches(e, filter));
  if (options.tail !== undefined) entries = entries.slice(-options.tail);
  return { files, skippedLines, total: all.length, entries };
}

export function formatLogs(model: LogsModel): string {
  const lines = model.entries.map(formatLogLine);
  lines.push(
    `(${model.entries.length} of ${model.total} line(s) from ${model.files.join(", ")}` +
      `${model.skippedLines ? `; ${model.skippedLines} unparsable line(s) skipped` : ""})`,
  );
  return lines.join("\n");
}

export function registerLogs(root: Root, exec: Executor): void {
  root.command("logs")
    .description("eve-bridge's structured log, filtered, with per-step durations")
    .option("--pod <name>", "pod name, or a prefix (all pods of an app)")
    .option("--container <id>", "container ID or a prefix of it")
    .option("--ifname <name>", "interface name, e.g. net1")
    .option("--command <cmd>", "ADD, DEL, CHECK, STATUS, GC")
    .option("--since <time>", 'from this time: "10m", "2h", "1d" ago, or ISO 8601')
    .option("--until <time>", 'up to this time: "5m" ago, or ISO 8601')
    .option("--tail <n>", "only the last n matching lines", (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) {
        throw new UsageError(`Invalid --tail "${s}": expected a positive integer`);
      }
      return n;
    })
    .addHelpText(
      "after",
      `
Each line: time, level, command, container, interface, pod, +step ms (ms since the
invocation started), message and the line's other properties.

Examples:
  eve-cni-debug logs --pod nginx-1a2b3 --since 1h
  eve-cni-debug logs --container 5e0c --command ADD --json`,
    )
    .action(async (opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const model = await readLogs(ctx, opts);
        return { model, human: formatLogs(model), exitCode: ExitCode.Ok };
      });
    });
}
