/**
 * eve-cni-debug as a function: argv and seams in, text and an exit code out. The entry point
 * (cli/eve-cni-debug/main.ts) is the only place that touches Deno.args, stdout and Deno.exit.
 */
import { CommanderError } from "@commander-js/extra-typings";
import { errorMessage } from "../../core/mod.ts";
import { isCommandError, systemRunner } from "../../netns/mod.ts";
import { RpcError } from "../../rpc/mod.ts";
import type { Deps } from "./context.ts";
import { ExitCode, UsageError, VerdictError } from "./exit_codes.ts";
import { registerBridges } from "./cmd_bridges.ts";
import { registerCheck } from "./cmd_check.ts";
import { registerDoctor } from "./cmd_doctor.ts";
import { registerLogs } from "./cmd_logs.ts";
import { registerNetns } from "./cmd_netns.ts";
import { registerPods } from "./cmd_pods.ts";
import { registerRender } from "./cmd_render.ts";
import { registerReplay } from "./cmd_replay.ts";
import { registerRpc } from "./cmd_rpc.ts";
import { registerStatus } from "./cmd_status.ts";
import { createRoot, Executor } from "./root_command.ts";
import { connectZedrouter, isUnreachable } from "./zedrouter_client.ts";

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function defaultDeps(env: Readonly<Record<string, string>>): Deps {
  return {
    runner: systemRunner,
    connect: connectZedrouter,
    now: () => new Date(),
    hostname: () => Deno.hostname(),
    env,
  };
}

function errorExitCode(error: unknown): number {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof VerdictError) return error.exitCode;
  if (isUnreachable(error)) return ExitCode.ZedrouterUnreachable;
  return ExitCode.Failure;
}

function errorText(error: unknown): string {
  if (isCommandError(error) && error.stderr.trim()) return error.message;
  if (error instanceof RpcError) return error.message;
  return errorMessage(error);
}

/** Runs one eve-cni-debug invocation; never throws. */
export async function runCli(argv: readonly string[], deps: Deps): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const exec = new Executor(deps);
  const root = createRoot()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => stdout += s,
      writeErr: (s) => stderr += s,
    });
  registerStatus(root, exec);
  registerRender(root, exec);
  registerNetns(root, exec);
  registerPods(root, exec);
  registerBridges(root, exec);
  registerCheck(root, exec);
  registerDoctor(root, exec);
  registerLogs(root, exec);
  registerRpc(root, exec);
  registerReplay(root, exec);
  try {
    await root.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version "fail" with exit code 0; everything else is a usage error.
      return { stdout, stderr, exitCode: error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage };
    }
    return {
      stdout,
      stderr: `${stderr}eve-cni-debug: ${errorText(error)}\n`,
      exitCode: errorExitCode(error),
    };
  }
  const outcome = exec.outcome;
  if (!outcome) return { stdout, stderr, exitCode: ExitCode.Ok };
  const json = root.opts().json;
  const body = json ? JSON.stringify(outcome.model, null, 2) : outcome.human;
  return {
    stdout: stdout + body + (body.endsWith("\n") ? "" : "\n"),
    stderr,
    exitCode: outcome.exitCode,
  };
}
