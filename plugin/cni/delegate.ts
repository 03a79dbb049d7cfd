/**
 * Delegation to another CNI plugin (bridge, host-local, ...), the way libcni's invoke package
 * does it: find the executable on CNI_PATH, run it (argv, no shell) with our CNI_* environment
 * and the adjusted config on stdin, keep its error code and message, read its result.
 *
 * Debian's reference plugins (1.1.1) accept cniVersion up to 1.0.0 only, so a 1.1.0 request is
 * delegated at 1.0.0 (config and prevResult) and the result converted back up by the caller's
 * normal output path (results are kept in the internal 1.1 model).
 */
import * as v from "valibot";
import { errorMessage } from "../../core/mod.ts";
import { spawn, type SpawnOutput } from "../../netns/mod.ts";
import { CniError, CniErrorCode, EveErrorCode } from "./errors.ts";
import type { CniCommand } from "./env.ts";
import { type CniResult, fromWireResult, toWireResult } from "./result.ts";
import type { CniContext } from "./types.ts";
import { atLeast, type CniVersion, isSupportedVersion } from "./versions.ts";

/** The highest version delegates are assumed to speak unless told otherwise. */
export const DELEGATE_MAX_VERSION: CniVersion = "1.0.0";

/**
 * First CNI_PATH directory holding an executable file named `type`. Synchronous, as every
 * file check on the hot path (netns_guard.ts says why).
 */
export function findPlugin(type: string, path: readonly string[]): string {
  if (type === "" || type.includes("/") || type === "." || type === "..") {
    throw new CniError(
      CniErrorCode.InvalidConfig,
      `Invalid plugin type "${type}"`,
      "A plugin type is a file name on CNI_PATH",
    );
  }
  for (const dir of path) {
    const candidate = `${dir.replace(/\/+$/, "")}/${type}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory; try the next one.
    }
  }
  throw new CniError(
    CniErrorCode.InvalidConfig,
    `Cannot find plugin "${type}" on CNI_PATH`,
    `Searched ${path.length > 0 ? path.map((d) => `"${d}"`).join(", ") : "nothing (empty)"}; ` +
      `install "${type}" into one of them or fix CNI_PATH`,
  );
}

export function delegateVersion(
  requested: CniVersion,
  maxVersion: CniVersion = DELEGATE_MAX_VERSION,
): CniVersion {
  return atLeast(requested, maxVersion) ? maxVersion : requested;
}

/**
 * The environment a delegate gets: ours with CNI_COMMAND replaced, and CNI_ARGS made to say
 * IgnoreUnknown=1 (we accepted the K8S_* keys, even under an explicit IgnoreUnknown=0, as keys
 * we know; the reference plugins know only MAC and IP and reject the rest otherwise).
 */
export function delegateEnv(
  env: Readonly<Record<string, string>>,
  command: CniCommand,
): Record<string, string> {
  const out: Record<string, string> = { ...env, CNI_COMMAND: command };
  const pairs = (env.CNI_ARGS ?? "").split(";").filter((pair) => pair !== "");
  const isIgnoreUnknown = (pair: string) => pair.startsWith("IgnoreUnknown=");
  const ignoring = pairs.some((pair) => /^IgnoreUnknown=(1|true)$/i.test(pair));
  if (pairs.length > 0 && !ignoring) {
    out.CNI_ARGS = ["IgnoreUnknown=1", ...pairs.filter((pair) => !isIgnoreUnknown(pair))]
      .join(";");
  }
  return out;
}

const ErrorJsonSchema = v.looseObject({
  code: v.number(),
  msg: v.optional(v.string()),
  details: v.optional(v.string()),
});

export interface DelegateOptions {
  /** Command to run (default: the context's command). */
  readonly command?: CniCommand;
  /** Highest version the delegate accepts (default 1.0.0, Debian's reference plugins). */
  readonly maxVersion?: CniVersion;
  /** prevResult to hand on (default: the context's; `null` sends none). */
  readonly prevResult?: CniResult | null;
}

export interface DelegateOutcome {
  /** The parsed result (ADD), or undefined when the delegate printed nothing. */
  readonly result?: CniResult;
  /** The delegate's stdout, for commands such as VERSION. */
  readonly stdout: string;
}

/**
 * Runs plugin `type` for `ctx` with `config` (a plugin config object, e.g. the raw config with
 * `type` replaced). Throws CniError with the delegate's own code and message on failure.
 */
export async function delegate(
  ctx: CniContext,
  type: string,
  config: Readonly<Record<string, unknown>>,
  options: DelegateOptions = {},
): Promise<DelegateOutcome> {
  const command = options.command ?? ctx.command;
  const version = delegateVersion(ctx.cniVersion, options.maxVersion);
  const prev = options.prevResult === undefined ? ctx.prevResult : options.prevResult ?? undefined;
  const body: Record<string, unknown> = { ...config, type, cniVersion: version };
  delete body.cniVersions;
  if (prev) body.prevResult = toWireResult(prev, version);
  else delete body.prevResult;
  const executable = findPlugin(type, ctx.path);
  const started = performance.now();
  const output = await spawnPlugin(executable, delegateEnv(ctx.env, command), JSON.stringify(body));
  const stderr = output.stderr.trim();
  ctx.logger.debug("Delegated {command} to {plugin}: exit {exitCode}", {
    command,
    plugin: type,
    exitCode: output.code,
    delegateMs: Math.round(performance.now() - started),
    ...(stderr && { stderr }),
  });
  if (output.code !== 0) throw delegateFailure(type, output.code, output.stdout, stderr);
  if (command !== "ADD" || output.stdout.trim() === "") return { stdout: output.stdout };
  let json: unknown;
  try {
    json = JSON.parse(output.stdout);
  } catch {
    throw new CniError(
      EveErrorCode.DelegateFailed,
      `Delegated plugin "${type}" printed a result that is not JSON`,
      output.stdout.slice(0, 200),
    );
  }
  const printed = (json as { cniVersion?: unknown }).cniVersion;
  const resultVersion = typeof printed === "string" && isSupportedVersion(printed)
    ? printed
    : version;
  const parsed = fromWireResult(json, resultVersion);
  if (!parsed.ok) {
    throw new CniError(
      EveErrorCode.DelegateFailed,
      `Delegated plugin "${type}" printed an invalid result`,
      parsed.problem,
    );
  }
  return { result: parsed.result, stdout: output.stdout };
}

function delegateFailure(type: string, code: number, stdout: string, stderr: string): CniError {
  try {
    const parsed = v.safeParse(ErrorJsonSchema, JSON.parse(stdout));
    if (parsed.success) {
      const details = parsed.output.details || `Reported by delegated plugin "${type}"`;
      return new CniError(parsed.output.code, parsed.output.msg ?? `${type} failed`, details);
    }
  } catch {
    // Not an error object: fall through to a generic failure.
  }
  return new CniError(
    EveErrorCode.DelegateFailed,
    `Delegated plugin "${type}" failed with exit code ${code}`,
    stderr || stdout.trim() || "It printed nothing",
  );
}

async function spawnPlugin(
  executable: string,
  env: Record<string, string>,
  stdin: string,
): Promise<SpawnOutput> {
  try {
    return await spawn([executable], env, stdin);
  } catch (error) {
    throw new CniError(
      EveErrorCode.DelegateFailed,
      `Cannot run delegated plugin "${executable}"`,
      errorMessage(error),
    );
  }
}

/**
 * Asks a delegate (VERSION) whether it speaks `version`; STATUS and GC are only forwarded to
 * plugins that do (Debian's 1.1.1 reference plugins stop at 1.0.0).
 */
export async function delegateSupports(
  ctx: CniContext,
  type: string,
  version: CniVersion,
): Promise<boolean> {
  const executable = findPlugin(type, ctx.path);
  const output = await spawnPlugin(
    executable,
    { ...ctx.env, CNI_COMMAND: "VERSION" },
    JSON.stringify({ cniVersion: version }),
  );
  if (output.code !== 0) return false;
  try {
    const info = JSON.parse(output.stdout) as { supportedVersions?: unknown };
    return Array.isArray(info.supportedVersions) && info.supportedVersions.includes(version);
  } catch {
    return false;
  }
}
