/**
 * The CNI skeleton: one call per invocation. It owns the protocol (env per command, version
 * rules, config and prevResult parsing, result printing in the request's version, error JSON,
 * logging) and calls the plugin's handler with a validated context.
 *
 * Only the entry point touches Deno.env, stdin, stdout and exit; this takes them as values.
 */
import * as v from "valibot";
import { absolutePathSchema, describeIssues, errorMessage } from "../../core/mod.ts";
import { AttachmentSchema, GC_ATTACHMENT_KEYS } from "./config.ts";
import { CniError, CniErrorCode, errorJson, toCniError } from "./errors.ts";
import { type CniCommand, parseCommand, parseEnv } from "./env.ts";
import { type CniLogger, type OpenLog, openLog } from "./logging.ts";
import { guardNetns } from "./netns_guard.ts";
import { type CniResult, fromWireResult, toWireResult } from "./result.ts";
import type { CniContext, CniInput, CniOutput, CniPlugin } from "./types.ts";
import { versionAnswer } from "./version_answer.ts";
import type { NetConf } from "./config.ts";
import {
  atLeast,
  type CniVersion,
  COMMAND_MIN_VERSION,
  isSupportedVersion,
  LATEST_VERSION,
  resolveRequestVersion,
} from "./versions.ts";

function decodeStdin(stdin: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(stdin);
  } catch (error) {
    throw new CniError(
      CniErrorCode.DecodeFailure,
      "Cannot decode the network configuration on stdin as JSON",
      errorMessage(error),
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CniError(
      CniErrorCode.DecodeFailure,
      "The network configuration on stdin must be a JSON object",
      `Got ${Array.isArray(json) ? "an array" : json === null ? "null" : typeof json}`,
    );
  }
  return json as Record<string, unknown>;
}

function logFields(env: Readonly<Record<string, string>>): Record<string, unknown> {
  const args = new Map(
    (env.CNI_ARGS ?? "").split(";").map((pair) => {
      const eq = pair.indexOf("=");
      return eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
  return {
    command: env.CNI_COMMAND ?? "",
    containerID: env.CNI_CONTAINERID ?? "",
    ifname: env.CNI_IFNAME ?? "",
    podNamespace: args.get("K8S_POD_NAMESPACE") ?? "",
    podName: args.get("K8S_POD_NAME") ?? "",
  };
}

function requireCommandVersion(command: CniCommand, version: CniVersion): void {
  if (command === "VERSION") return;
  const minimum = COMMAND_MIN_VERSION[command];
  if (!atLeast(version, minimum)) {
    throw new CniError(
      CniErrorCode.IncompatibleVersion,
      `CNI_COMMAND ${command} needs cniVersion ${minimum} or later, the config says "${version}"`,
      `Raise cniVersion to ${minimum} or later`,
    );
  }
}

function parsePrevResult(
  raw: Record<string, unknown>,
  version: CniVersion,
  command: CniCommand,
  logger: CniLogger,
): CniResult | undefined {
  if (raw.prevResult === undefined || raw.prevResult === null) return undefined;
  const parsed = fromWireResult(raw.prevResult, version);
  if (parsed.ok) return parsed.result;
  if (command === "DEL") {
    // DEL is best effort: a garbled prevResult must not keep resources alive.
    logger.warn("Ignoring an invalid prevResult on DEL: {problem}", { problem: parsed.problem });
    return undefined;
  }
  throw new CniError(
    CniErrorCode.InvalidConfig,
    `Invalid prevResult for cniVersion ${version}`,
    `prevResult.${parsed.problem}`,
  );
}

function parseAttachments(raw: Record<string, unknown>) {
  for (const key of GC_ATTACHMENT_KEYS) {
    if (raw[key] === undefined) continue;
    const parsed = v.safeParse(v.array(AttachmentSchema), raw[key]);
    if (!parsed.success) {
      throw new CniError(
        CniErrorCode.InvalidConfig,
        `Invalid "${key}"`,
        `${describeIssues(parsed.issues)}; expected a list of {"containerID","ifname"}`,
      );
    }
    return parsed.output;
  }
  return [];
}

/** The config against the plugin's schema: parsed once, for the log file and for dispatch. */
type ParsedConfig<T extends NetConf> = v.SafeParseResult<CniPlugin<T>["configSchema"]>;

async function dispatch<T extends NetConf>(
  plugin: CniPlugin<T>,
  input: CniInput,
  raw: Record<string, unknown>,
  parsed: ParsedConfig<T>,
  logger: CniLogger,
): Promise<string> {
  const env = parseEnv(input.env);
  const version = resolveRequestVersion(raw.cniVersion, raw.cniVersions);
  requireCommandVersion(env.command, version);
  if (!parsed.success) {
    throw new CniError(
      CniErrorCode.InvalidConfig,
      "Invalid network configuration",
      describeIssues(parsed.issues),
    );
  }
  let netnsExists = false;
  if (env.netns !== "") {
    netnsExists = guardNetns(env.netns, env.netnsOverride) === "exists";
    if (!netnsExists && env.command !== "DEL") {
      throw new CniError(
        CniErrorCode.ContainerUnknown,
        `CNI_NETNS "${env.netns}" does not exist`,
        "The container's network namespace is gone or was never created",
      );
    }
  }
  const prevResult = parsePrevResult(raw, version, env.command, logger);
  const ctx: CniContext<T> = {
    command: env.command,
    containerId: env.containerId,
    netns: env.netns,
    netnsExists,
    ifname: env.ifname,
    args: env.args,
    path: env.path,
    config: parsed.output,
    rawConfig: raw,
    ...(prevResult && { prevResult }),
    cniVersion: version,
    env: input.env,
    logger,
  };
  switch (env.command) {
    case "ADD": {
      const wire = toWireResult(await plugin.add(ctx), version);
      logger.debug("Result of {command}", { result: wire });
      return JSON.stringify(wire);
    }
    case "DEL":
      await plugin.del(ctx);
      return "";
    case "CHECK":
      await plugin.check(ctx);
      return "";
    case "STATUS":
      await plugin.status(ctx);
      return "";
    case "GC":
      await plugin.gc({ ...ctx, validAttachments: parseAttachments(raw) });
      return "";
    case "VERSION":
      return versionAnswer(input.stdin);
  }
}

const LOG_FILE_PATH = absolutePathSchema();

/** The config's `logFile` when the config passes the plugin's schema, else the default. */
function validLogFile<T extends NetConf>(plugin: CniPlugin<T>, parsed: ParsedConfig<T>): string {
  const logFile = parsed.success ? parsed.output.logFile : undefined;
  // A relative path (a plugin whose schema allows one) would land in the runtime's cwd; one
  // with ".." or a NUL, or too long, is not opened either (core/path_schema.ts).
  return v.is(LOG_FILE_PATH, logFile) ? logFile : plugin.defaultLogFile;
}

/** Runs one CNI invocation of `plugin`. Never throws; never logs to stdout. */
export async function run<T extends NetConf>(
  input: CniInput,
  plugin: CniPlugin<T>,
): Promise<CniOutput> {
  const startedAt = performance.now();
  let errorVersion: string = LATEST_VERSION;
  let log: OpenLog | undefined;
  try {
    const command = parseCommand(input.env);
    if (command === "VERSION") return { stdout: versionAnswer(input.stdin), exitCode: 0 };
    const raw = decodeStdin(input.stdin);
    if (typeof raw.cniVersion === "string" && isSupportedVersion(raw.cniVersion)) {
      errorVersion = raw.cniVersion;
    }
    // The config's logFile only once the whole config is valid (an invalid one is logged to
    // the default place); openLog then checks the file itself (log_file.ts).
    const parsed = v.safeParse(plugin.configSchema, raw);
    log = await openLog(validLogFile(plugin, parsed), logFields(input.env), startedAt);
    // The netns and the whole config make the line replayable (`eve-cni-debug replay`).
    // startupMs: the process's own start before this call (Deno's time origin to here:
    // loading the program, reading stdin), which every line's durationMs leaves out.
    log.logger.debug("Started {command}", {
      cniVersion: raw.cniVersion ?? "",
      netns: input.env.CNI_NETNS ?? "",
      config: raw,
      startupMs: Math.round(startedAt),
    });
    const stdout = await dispatch(plugin, input, raw, parsed, log.logger);
    log.logger.info("Finished {command}", { outcome: "ok" });
    return { stdout, exitCode: 0 };
  } catch (error) {
    const cni = toCniError(error);
    if (!log) {
      // Failed before the config named a log file: log to the default place.
      try {
        log = await openLog(plugin.defaultLogFile, logFields(input.env), startedAt);
      } catch {
        log = undefined;
      }
    }
    log?.logger.error("Failed {command}: code {code}: {msg}", {
      outcome: "error",
      code: cni.code,
      msg: cni.msg,
      details: cni.details,
      ...(!(error instanceof CniError) && error instanceof Error && { stack: error.stack }),
    });
    return { stdout: JSON.stringify(errorJson(cni, errorVersion)), exitCode: 1 };
  } finally {
    await log?.close();
  }
}
