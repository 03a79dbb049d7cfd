/**
 * `status`: is the node's CNI plumbing in place? zedrouter's socket (reachable, which wire
 * dialects answer, round-trip time), the tools eve-bridge needs, the CNI plugins on
 * CNI_PATH with the versions each supports, eve-bridge's log file and state dir.
 */
import * as v from "valibot";
import { errorMessage } from "../../core/mod.ts";
import type { Runner } from "../../netns/mod.ts";
import { type CommandContext, DEFAULTS, type Outcome } from "./context.ts";
import { ApplyRecordSchema, type Dialect } from "../../rpc/mod.ts";
import { eveBridgeStateFiles } from "./eve_bridge_state.ts";
import {
  availabilityProblems,
  BridgeAvailabilitySchema,
  fetchAvailability,
  formatAvailability,
} from "./bridge_availability.ts";
import { ExitCode } from "./exit_codes.ts";
import type { Executor, Root } from "./root_command.ts";
import { keyValues, orDash, table } from "./table.ts";
import { replyErrorText, withClient } from "./zedrouter_client.ts";

const DialectProbeSchema = v.strictObject({
  dialect: v.picklist(["go", "jsonrpc2"]),
  answered: v.boolean(),
  rttMs: v.nullable(v.number()),
  /** `fake-zedrouter 0.1.0` from Inspect.Health, or the server's error (EVE's zedrouter). */
  server: v.nullable(v.string()),
  error: v.nullable(v.string()),
});

export const StatusModelSchema = v.strictObject({
  zedrouter: v.strictObject({
    socket: v.string(),
    exists: v.boolean(),
    isSocket: v.boolean(),
    probes: v.array(DialectProbeSchema),
  }),
  tools: v.array(
    v.strictObject({ name: v.string(), found: v.boolean(), version: v.nullable(v.string()) }),
  ),
  cniPath: v.array(v.string()),
  /** Where cniPath came from: a missing directory is a problem unless it is our default. */
  cniPathFrom: v.picklist(["--cni-path", "CNI_PATH", "default"]),
  /** The cniPath directories that do not exist (or are not directories). */
  cniPathMissing: v.array(v.string()),
  plugins: v.array(v.strictObject({
    dir: v.string(),
    name: v.string(),
    supportedVersions: v.nullable(v.array(v.string())),
    error: v.nullable(v.string()),
  })),
  logFile: v.strictObject({
    path: v.string(),
    exists: v.boolean(),
    sizeBytes: v.nullable(v.number()),
    modifiedAt: v.nullable(v.string()),
  }),
  stateDir: v.strictObject({ path: v.string(), exists: v.boolean(), files: v.number() }),
  /** Each NI's bridge (bridge-marker's resources); null when zedrouter has no Inspect (EVE's). */
  bridges: v.optional(v.nullable(v.array(BridgeAvailabilitySchema)), null),
  /** fake-zedrouter's latest apply or reload with its outcome per NI; null when none. */
  lastApply: v.optional(v.nullable(ApplyRecordSchema), null),
  problems: v.array(v.string()),
});
export type StatusModel = v.InferOutput<typeof StatusModelSchema>;
type DialectProbe = v.InferOutput<typeof DialectProbeSchema>;

/** One request on a fresh connection; any well-formed reply (even an error) counts as answered. */
async function probe(ctx: CommandContext, dialect: Dialect): Promise<DialectProbe> {
  const started = performance.now();
  try {
    const client = await ctx.deps.connect(ctx.globals.socket, {
      dialect,
      timeoutMs: ctx.globals.timeoutMs,
    });
    try {
      const x = await client.callRaw("Inspect.Health", dialect === "go" ? [{}] : {});
      const rttMs = Math.round((performance.now() - started) * 10) / 10;
      const reply = x.reply as { result?: { version?: unknown } | null };
      const version = typeof reply.result?.version === "string" ? reply.result.version : null;
      const error = replyErrorText(x.reply);
      return { dialect, answered: true, rttMs, server: version, error };
    } finally {
      await client.close();
    }
  } catch (error) {
    return {
      dialect,
      answered: false,
      rttMs: null,
      server: null,
      error: errorMessage(error),
    };
  }
}

const TOOLS: { name: string; argv: string[]; pattern: RegExp }[] = [
  { name: "ip", argv: ["ip", "-V"], pattern: /iproute2-([\w.-]+)/ },
  { name: "nsenter", argv: ["nsenter", "--version"], pattern: /util-linux ([\d.]+)/ },
  { name: "udhcpc", argv: ["udhcpc", "--help"], pattern: /BusyBox v([\d.]+)/ },
  { name: "dnsmasq", argv: ["dnsmasq", "--version"], pattern: /Dnsmasq version ([\d.]+)/ },
];

async function tool(runner: Runner, t: (typeof TOOLS)[number]) {
  const r = await runner(t.argv, { timeoutMs: 3000 });
  const out = `${r.stdout}\n${r.stderr}`;
  const found = r.code !== 127 && !/^Cannot run/.test(r.stderr);
  return { name: t.name, found, version: found ? (t.pattern.exec(out)?.[1] ?? null) : null };
}

async function plugins(runner: Runner, dirs: string[]): Promise<StatusModel["plugins"]> {
  const found: { dir: string; name: string }[] = [];
  for (const dir of dirs) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile || e.isSymlink) found.push({ dir, name: e.name });
      }
    } catch {
      // A missing CNI_PATH entry is reported by statusProblems (from cniPathMissing).
    }
  }
  found.sort((a, b) => a.dir.localeCompare(b.dir) || a.name.localeCompare(b.name));
  return await Promise.all(found.map(async ({ dir, name }) => {
    const r = await runner([`${dir}/${name}`], {
      stdin: JSON.stringify({ cniVersion: "1.0.0" }),
      env: { CNI_COMMAND: "VERSION" },
      timeoutMs: 5000,
    });
    try {
      const parsed = JSON.parse(r.stdout) as { supportedVersions?: unknown; msg?: unknown };
      if (Array.isArray(parsed.supportedVersions)) {
        return { dir, name, supportedVersions: parsed.supportedVersions.map(String), error: null };
      }
      return { dir, name, supportedVersions: null, error: String(parsed.msg ?? `exit ${r.code}`) };
    } catch {
      return { dir, name, supportedVersions: null, error: `not a CNI plugin (exit ${r.code})` };
    }
  }));
}

export type CniPathFrom = StatusModel["cniPathFrom"];

/** The plugin directories to look in: --cni-path, else $CNI_PATH, else our default. */
export function cniPathOf(
  flag: string | undefined,
  env: Readonly<Record<string, string>>,
): { cniPath: string; from: CniPathFrom } {
  if (flag !== undefined) return { cniPath: flag, from: "--cni-path" };
  if (env.CNI_PATH !== undefined) return { cniPath: env.CNI_PATH, from: "CNI_PATH" };
  return { cniPath: DEFAULTS.cniPath, from: "default" };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isDirectory ?? false;
}

export async function collectStatus(
  ctx: CommandContext,
  cniPath: string,
  cniPathFrom: CniPathFrom = "--cni-path",
): Promise<StatusModel> {
  const { globals: g, deps } = ctx;
  const info = await Deno.lstat(g.socket).catch(() => undefined);
  const probes = info ? [await probe(ctx, "go"), await probe(ctx, "jsonrpc2")] : [];
  const dirs = cniPath.split(":").filter((d) => d !== "");
  const cniPathMissing: string[] = [];
  for (const dir of dirs) if (!(await isDirectory(dir))) cniPathMissing.push(dir);
  const tools = await Promise.all(TOOLS.map((t) => tool(deps.runner, t)));
  const logInfo = await Deno.stat(g.logFile).catch(() => undefined);
  const stateDirInfo = await Deno.stat(g.stateDir).catch(() => undefined);
  const inspectable = probes.some((x) => x.answered && x.server !== null);
  const bridges = inspectable ? (await fetchAvailability(ctx)).availability : null;
  const lastApply = inspectable ? await fetchLastApply(ctx) : null;
  const stateFiles = stateDirInfo?.isDirectory
    ? await eveBridgeStateFiles(g.stateDir).catch(() => undefined)
    : undefined;
  const model: StatusModel = {
    zedrouter: {
      socket: g.socket,
      exists: info !== undefined,
      isSocket: info?.isSocket ?? false,
      probes,
    },
    tools,
    cniPath: dirs,
    cniPathFrom,
    cniPathMissing,
    plugins: await plugins(deps.runner, dirs),
    logFile: {
      path: g.logFile,
      exists: logInfo !== undefined,
      sizeBytes: logInfo?.size ?? null,
      modifiedAt: logInfo?.mtime?.toISOString() ?? null,
    },
    stateDir: {
      path: g.stateDir,
      exists: stateFiles !== undefined,
      files: stateFiles?.length ?? 0,
    },
    bridges,
    lastApply,
    problems: [],
  };
  model.problems = statusProblems(model);
  return model;
}

const FROM_TEXT: Record<CniPathFrom, string> = {
  "--cni-path": "from --cni-path",
  CNI_PATH: "from $CNI_PATH",
  default: "the default",
};

export function statusProblems(model: StatusModel): string[] {
  const p: string[] = [];
  if (!model.zedrouter.exists) p.push(`zedrouter socket ${model.zedrouter.socket} does not exist`);
  else if (!model.zedrouter.probes.some((x) => x.answered)) {
    p.push(
      `zedrouter socket ${model.zedrouter.socket} does not answer: ${
        model.zedrouter.probes[0]?.error ?? "?"
      }`,
    );
  } else if (!model.zedrouter.probes.find((x) => x.dialect === "go")?.answered) {
    p.push("zedrouter does not answer in Go's dialect, which EVE's eve-bridge speaks");
  }
  for (const t of model.tools) if (!t.found) p.push(`tool ${t.name} is not installed`);
  // The default lists both layouts (/opt/cni/bin, Debian's /usr/lib/cni): one of them missing
  // is normal. A path the user or the runtime set is configuration, so each hole in it counts.
  if (model.cniPathFrom !== "default") {
    const via = model.cniPathFrom === "CNI_PATH" ? "$CNI_PATH" : "--cni-path";
    for (const dir of model.cniPathMissing) {
      p.push(
        `CNI_PATH directory ${dir} (${FROM_TEXT[model.cniPathFrom]}) does not exist: remove it ` +
          `from ${via}, or install the CNI plugins there`,
      );
    }
  }
  for (const name of ["bridge", "host-local"]) {
    if (!model.plugins.some((x) => x.name === name && x.supportedVersions)) {
      p.push(`CNI plugin ${name} not found on ${model.cniPath.join(":")} (eth0 needs it)`);
    }
  }
  p.push(...availabilityProblems(model.bridges ?? []));
  const last = model.lastApply;
  if (last && last.outcome !== "SuccessfullyConfigured") {
    p.push(
      `the last ${last.source} (${last.at}) FailedToConfigure${
        last.rolledBack ? ", rolled back" : ""
      }: ${last.error ?? "?"}`,
    );
  }
  // A missing log is shown but not a problem: a fresh node has had no invocation yet.
  return p;
}

/** The newest record of Inspect.Applies; null when there is none or the server has none. */
async function fetchLastApply(ctx: CommandContext): Promise<StatusModel["lastApply"]> {
  try {
    const r = await withClient(
      ctx.deps.connect,
      ctx.globals.socket,
      ctx.globals,
      (c) => c.call("Inspect.Applies", {}),
    );
    return r.applies.at(-1) ?? null;
  } catch {
    return null;
  }
}

function formatLastApply(r: NonNullable<StatusModel["lastApply"]>): string {
  const head = `  ${r.at}: ${r.outcome}${r.rolledBack ? " (rolled back)" : ""}` +
    (r.error ? `: ${r.error}` : "");
  const nis = r.networkInstances.map((ni) =>
    `    ${ni.name} (${ni.change}): ${ni.outcome}${ni.error ? `: ${ni.error}` : ""}`
  );
  return [head, ...nis].join("\n");
}

export function statusExitCode(model: StatusModel): ExitCode {
  if (!model.zedrouter.probes.some((x) => x.answered)) return ExitCode.ZedrouterUnreachable;
  return model.problems.length ? ExitCode.ProblemsFound : ExitCode.Ok;
}

export function formatStatus(model: StatusModel): string {
  const z = model.zedrouter;
  const probeText = (probe: DialectProbe) =>
    probe.answered
      ? `answered in ${probe.rttMs} ms${
        probe.server ? ` (${probe.server})` : probe.error ? ` (${probe.error})` : ""
      }`
      : `no answer: ${probe.error}`;
  const lines = [
    "zedrouter",
    keyValues([
      ["  socket", `${z.socket}${z.exists ? (z.isSocket ? "" : " (not a socket)") : " (missing)"}`],
      ...z.probes.map((x) => [`  ${x.dialect}`, probeText(x)] as const),
    ]),
    "",
    "Tools",
    table(
      ["  NAME", "VERSION"],
      model.tools.map((t) => [`  ${t.name}`, t.found ? orDash(t.version) : "MISSING"]),
    ),
    "",
    `CNI plugins on ${model.cniPath.join(":")} (${FROM_TEXT[model.cniPathFrom]})` +
    (model.cniPathMissing.length ? `, missing: ${model.cniPathMissing.join(" ")}` : ""),
    model.plugins.length
      ? table(
        ["  PLUGIN", "SUPPORTED VERSIONS"],
        model.plugins.map((
          x,
        ) => [`  ${x.dir}/${x.name}`, x.supportedVersions?.join(" ") ?? `ERROR: ${x.error}`]),
      )
      : "  (none)",
    "",
    "eve-bridge",
    keyValues([
      [
        "  log file",
        model.logFile.exists
          ? `${model.logFile.path} (${model.logFile.sizeBytes} bytes, modified ${model.logFile.modifiedAt})`
          : `${model.logFile.path} (missing: nothing logged yet, or another --log-file)`,
      ],
      [
        "  state dir",
        model.stateDir.exists
          ? `${model.stateDir.path} (${model.stateDir.files} state file(s))`
          : `${model.stateDir.path} (missing)`,
      ],
    ]),
    ...(model.bridges ? ["", "Network instance bridges", formatAvailability(model.bridges)] : []),
    ...(model.lastApply
      ? ["", `Last ${model.lastApply.source}`, formatLastApply(model.lastApply)]
      : []),
    "",
    model.problems.length
      ? `Problems:\n${model.problems.map((p) => `  ${p}`).join("\n")}`
      : "No problems",
  ];
  return lines.join("\n");
}

export function registerStatus(root: Root, exec: Executor): void {
  root.command("status")
    .description("zedrouter socket, tools, CNI plugins (with their versions), eve-bridge's log")
    .option("--cni-path <dirs>", `plugin directories (default: $CNI_PATH or ${DEFAULTS.cniPath})`)
    .addHelpText(
      "after",
      `
Exit ${ExitCode.Ok} when all is in place, ${ExitCode.ProblemsFound} on a problem (a tool, a plugin or a
--cni-path/$CNI_PATH directory missing, a network instance's bridge missing or down), ${ExitCode.ZedrouterUnreachable} when zedrouter does not answer.

Examples:
  eve-cni-debug status
  eve-cni-debug status --cni-path /opt/cni/bin --json`,
    )
    .action(async (opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const { cniPath, from } = cniPathOf(opts.cniPath, ctx.deps.env);
        const model = await collectStatus(ctx, cniPath, from);
        return { model, human: formatStatus(model), exitCode: statusExitCode(model) };
      });
    });
}
