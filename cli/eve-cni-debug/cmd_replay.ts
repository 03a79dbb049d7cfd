/**
 * `replay`: re-runs a logged CNI invocation against a plugin. The log names the command,
 * container, interface and pod, and its "Started" line carries `netns` and the stdin `config`;
 * --netns and --config override them (or stand in for logs of older builds without them).
 * It always shows what it runs (or would run), and refuses to run what fails the checks a
 * live call makes (replay_guard.ts): a forged log line must not steer root.
 */
import * as v from "valibot";
import type { CommandContext, Outcome } from "./context.ts";
import { DEFAULTS } from "./context.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import { type LogEntry, LogEntrySchema } from "./log_entries.ts";
import { readLogs } from "./cmd_logs.ts";
import { replayRefusals } from "./replay_guard.ts";
import type { Executor, Root } from "./root_command.ts";

export const ReplayModelSchema = v.strictObject({
  from: LogEntrySchema,
  plugin: v.string(),
  env: v.record(v.string(), v.string()),
  stdin: v.string(),
  ran: v.boolean(),
  /** Why it was not run: the checks a live call makes failed (replay_guard.ts). */
  refusals: v.array(v.string()),
  exitCode: v.nullable(v.number()),
  stdout: v.string(),
  stderr: v.string(),
});
export type ReplayModel = v.InferOutput<typeof ReplayModelSchema>;

export interface ReplayOptions {
  pod?: string;
  container?: string;
  ifname?: string;
  command?: string;
  as?: string;
  config?: string;
  netns?: string;
  plugin?: string;
  cniPath?: string;
  dryRun: boolean;
}

function stringProp(entry: LogEntry, key: string): string | undefined {
  const value = entry.extra[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The CNI environment of the logged invocation (CNI_NETNS from the log or --netns). */
export function replayEnv(
  entry: LogEntry,
  options: ReplayOptions,
  cniPath: string,
): Record<string, string> {
  const netns = options.netns ?? stringProp(entry, "netns");
  const command = (options.as ?? entry.command).toUpperCase();
  if (netns === undefined && command !== "DEL" && command !== "VERSION") {
    throw new UsageError("The log does not record the pod's netns: give --netns PATH");
  }
  const args = ["IgnoreUnknown=true"];
  if (entry.podNamespace) args.push(`K8S_POD_NAMESPACE=${entry.podNamespace}`);
  if (entry.podName) args.push(`K8S_POD_NAME=${entry.podName}`);
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: entry.containerId,
    CNI_IFNAME: entry.ifname,
    ...(netns !== undefined && { CNI_NETNS: netns }),
    CNI_ARGS: args.join(";"),
    CNI_PATH: cniPath,
  };
}

async function replayStdin(entry: LogEntry, options: ReplayOptions): Promise<string> {
  if (options.config !== undefined) return await Deno.readTextFile(options.config);
  const logged = entry.extra.config;
  if (typeof logged === "string") return logged;
  if (logged !== null && typeof logged === "object") return JSON.stringify(logged);
  throw new UsageError(
    "The log does not record the network configuration: give --config FILE (e.g. the NAD's spec.config)",
  );
}

async function findPlugin(cniPath: string, name: string): Promise<string> {
  if (name.includes("/")) return name;
  for (const dir of cniPath.split(":").filter((d) => d)) {
    const path = `${dir}/${name}`;
    if (await Deno.stat(path).then((i) => i.isFile, () => false)) return path;
  }
  throw new UsageError(`Plugin "${name}" not found on ${cniPath}; give --plugin PATH`);
}

export async function replay(ctx: CommandContext, options: ReplayOptions): Promise<ReplayModel> {
  const logs = await readLogs(ctx, {
    ...(options.pod !== undefined && { pod: options.pod }),
    ...(options.container !== undefined && { container: options.container }),
    ...(options.ifname !== undefined && { ifname: options.ifname }),
    ...(options.command !== undefined && { command: options.command }),
  });
  const matching = logs.entries.filter((e) => e.containerId !== "" && e.command !== "");
  const last = matching.at(-1);
  if (!last) throw new UsageError('No logged invocation matches; see "eve-cni-debug logs"');
  // Only an invocation's "Started" line carries its netns and config: replay from that one.
  const from =
    matching.findLast((e) =>
      e.containerId === last.containerId && e.ifname === last.ifname &&
      e.command === last.command && e.extra.config !== undefined
    ) ?? last;
  const cniPath = options.cniPath ?? ctx.deps.env.CNI_PATH ?? DEFAULTS.cniPath;
  const env = replayEnv(from, options, cniPath);
  const stdin = await replayStdin(from, options);
  const plugin = await findPlugin(cniPath, options.plugin ?? "eve-bridge");
  const refusals = replayRefusals({
    logFile: ctx.globals.logFile,
    plugin,
    stdin,
    netns: env.CNI_NETNS,
  });
  if (options.dryRun || refusals.length > 0) {
    const model = { from, plugin, env, stdin, ran: false, exitCode: null, stdout: "", stderr: "" };
    return { ...model, refusals };
  }
  const r = await ctx.deps.runner([plugin], { env, stdin, timeoutMs: 60_000 });
  return {
    from,
    plugin,
    env,
    stdin,
    ran: true,
    refusals,
    exitCode: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

export function formatReplay(model: ReplayModel): string {
  const lines = [
    `# replaying ${model.from.command} of container ${model.from.containerId} ${model.from.ifname} logged at ${model.from.timestamp}`,
    ...Object.entries(model.env).map(([k, val]) => `${k}=${val}`),
    `${model.plugin} <<'EOF'`,
    model.stdin.trimEnd(),
    "EOF",
  ];
  if (model.ran) {
    lines.push(`# exit ${model.exitCode}`);
    if (model.stdout.trim()) lines.push(`# stdout:\n${model.stdout.trimEnd()}`);
    if (model.stderr.trim()) lines.push(`# stderr:\n${model.stderr.trimEnd()}`);
  } else if (model.refusals.length > 0) {
    lines.push("# refused: not executed, it fails the checks a live call makes:");
    lines.push(...model.refusals.map((why) => `#   ${why}`));
  } else lines.push("# dry run: not executed");
  return lines.join("\n");
}

export function registerReplay(root: Root, exec: Executor): void {
  root.command("replay")
    .description("Re-run the last matching logged CNI invocation against the plugin")
    .option("--pod <name>", "pod name or prefix")
    .option("--container <id>", "container ID or prefix")
    .option("--ifname <name>", "interface")
    .option("--command <cmd>", "the logged command to pick (ADD, DEL, CHECK...)")
    .option("--as <cmd>", "run it as another command (e.g. CHECK after a logged ADD)")
    .option("--config <file>", "the network configuration to send on stdin")
    .option("--netns <path>", "CNI_NETNS (default: the logged one)")
    .option("--plugin <name|path>", "plugin to run (default eve-bridge, found on CNI_PATH)")
    .option("--cni-path <dirs>", `CNI_PATH (default: $CNI_PATH or ${DEFAULTS.cniPath})`)
    .option("--dry-run", "print what would run, do not run it", false)
    .addHelpText(
      "after",
      `
eve-bridge logs each invocation's netns and stdin config on its "Started" line; --netns and
--config override them.

Examples:
  eve-cni-debug replay --pod nginx-1a2b3 --command ADD --as CHECK --netns /var/run/netns/cni-5e0c \\
      --config net1.json
  eve-cni-debug replay --container 5e0c --dry-run --config net1.json --netns /var/run/netns/cni-5e0c`,
    )
    .action(async (opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const model = await replay(ctx, opts);
        const failed = model.refusals.length > 0 || (model.ran && model.exitCode !== 0);
        const exitCode = failed ? ExitCode.ProblemsFound : ExitCode.Ok;
        return { model, human: formatReplay(model), exitCode };
      });
    });
}
