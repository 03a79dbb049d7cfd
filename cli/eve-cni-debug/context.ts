/**
 * What every command receives: the global options (typed, validated once), the process
 * seams (runner, clock, RPC client factory) and how it reports back. Commands never touch
 * stdout or exit: they return an Outcome, and the entry point prints it.
 */
import {
  DEFAULT_EVE_BRIDGE_LOG_FILE,
  DEFAULT_EVE_BRIDGE_STATE_DIR,
  DEFAULT_FAKE_ZEDROUTER_STATE_DIR,
  DEFAULT_ZEDROUTER_SOCKET,
} from "../../core/eve/mod.ts";
import type { Runner } from "../../netns/mod.ts";
import type { Dialect } from "../../rpc/mod.ts";
import type { ExitCode } from "./exit_codes.ts";
import type { ZedrouterConnector } from "./zedrouter_client.ts";

export const DEFAULTS = {
  socket: DEFAULT_ZEDROUTER_SOCKET,
  stateDir: DEFAULT_EVE_BRIDGE_STATE_DIR,
  zedrouterStateDir: DEFAULT_FAKE_ZEDROUTER_STATE_DIR,
  logFile: DEFAULT_EVE_BRIDGE_LOG_FILE,
  cniPath: "/opt/cni/bin:/usr/lib/cni",
  timeoutMs: 5000,
} as const;

export interface GlobalOptions {
  socket: string;
  stateDir: string;
  zedrouterStateDir: string;
  logFile: string;
  /** Where zedrouter's bridges and host veths live: a netns name or path; undefined = ours. */
  hostNetns: string | undefined;
  dialect: Dialect;
  timeoutMs: number;
  json: boolean;
}

export interface Deps {
  runner: Runner;
  connect: ZedrouterConnector;
  now: () => Date;
  hostname: () => string;
  env: Readonly<Record<string, string>>;
}

/** A command's result: the model (printed as JSON with --json), its human text, the exit code. */
export interface Outcome {
  model: unknown;
  human: string;
  exitCode: ExitCode;
}

export interface CommandContext {
  globals: GlobalOptions;
  deps: Deps;
}
