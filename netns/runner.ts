/**
 * The one subprocess seam. Every function in netns/ takes a `Runner`, so pure logic can be
 * tested with `recordingRunner` and integration tests use `systemRunner` in real namespaces.
 * Commands are argv arrays handed straight to execve: there is no shell anywhere, so names
 * and paths from untrusted input can never be interpreted as shell syntax.
 */
import { after } from "../core/timers.ts";

/** What a finished command left behind. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string;
  /** The child is killed (SIGKILL) when it runs longer than this. */
  timeoutMs?: number;
  /** Added to (not replacing) the inherited environment. */
  env?: Record<string, string>;
}

export type Runner = (argv: readonly string[], options?: RunOptions) => Promise<RunResult>;

/** Exit code reported when the executable itself could not be started (as a shell would). */
export const EXIT_NOT_EXECUTABLE = 127;
/** Exit code reported when the child was killed by our timeout (as coreutils `timeout` does). */
export const EXIT_TIMED_OUT = 124;

/**
 * A finished child's result: its outputs as text; when our timeout (`timedOutAfterMs`) killed
 * it, EXIT_TIMED_OUT and stderr saying so first.
 */
export function runResult(
  output: { code: number; stdout: Uint8Array; stderr: Uint8Array },
  timedOutAfterMs?: number,
): RunResult {
  const decoder = new TextDecoder();
  const stderr = decoder.decode(output.stderr);
  const stdout = decoder.decode(output.stdout);
  if (timedOutAfterMs === undefined) return { code: output.code, stdout, stderr };
  return {
    code: EXIT_TIMED_OUT,
    stdout,
    stderr: `Timed out after ${timedOutAfterMs} ms\n${stderr}`,
  };
}

/** Runs argv with Deno.Command: no shell; on timeout the child is SIGKILLed and reaped. */
export const systemRunner: Runner = async (
  argv: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> => {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("Cannot run an empty command");
  const command = new Deno.Command(program, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
  });
  let child: Deno.ChildProcess;
  try {
    child = command.spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return {
        code: EXIT_NOT_EXECUTABLE,
        stdout: "",
        stderr: `Cannot run "${program}": ${error.message}`,
      };
    }
    throw error;
  }
  let timedOut = false;
  const timer = options.timeoutMs === undefined ? undefined : after(options.timeoutMs, () => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited between the timer firing and the kill: nothing to do.
    }
  });
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(options.stdin));
        await writer.close();
      } catch {
        // The child may exit without reading its stdin (EPIPE); its exit status tells the story.
      }
    }
    const output = await child.output();
    return runResult(output, timedOut ? options.timeoutMs : undefined);
  } finally {
    timer?.cancel();
  }
};

/**
 * A fake runner for pure unit tests: records every argv and answers with `reply(argv)`
 * (or success with empty output when reply returns undefined).
 */
export function recordingRunner(
  reply?: (argv: readonly string[]) => RunResult | undefined,
): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  const runner = (argv: readonly string[], _options?: RunOptions): Promise<RunResult> => {
    calls.push([...argv]);
    return Promise.resolve(reply?.(argv) ?? { code: 0, stdout: "", stderr: "" });
  };
  return Object.assign(runner, { calls });
}

export type CommandErrorKind = "not-found" | "exists" | "busy" | "other";

/**
 * Classifies a failure from stderr, conservatively: only messages that unambiguously mean
 * "the thing is missing" or "the thing already exists" get those kinds, so callers that
 * tolerate them (idempotent delete, EEXIST on add) never swallow a real error.
 */
export function classifyStderr(stderr: string): CommandErrorKind {
  if (/File exists|Address already assigned/.test(stderr)) return "exists";
  if (
    /Cannot find device|No such file or directory|does not exist|No such device|Address not found/
      .test(stderr)
  ) {
    return "not-found";
  }
  if (/Device or resource busy/.test(stderr)) return "busy";
  return "other";
}

/** A command that exited non-zero; keeps argv, exit code and raw stderr for the caller. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  readonly argv: readonly string[];
  readonly code: number;
  readonly stderr: string;
  readonly kind: CommandErrorKind;

  constructor(argv: readonly string[], code: number, stderr: string) {
    const firstLine = stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
    super(`Command "${argv.join(" ")}" failed (exit ${code})${firstLine ? `: ${firstLine}` : ""}`);
    this.argv = [...argv];
    this.code = code;
    this.stderr = stderr;
    this.kind = classifyStderr(stderr);
  }
}

/** Runs argv and returns its stdout; throws CommandError on a non-zero exit. */
export async function runChecked(
  runner: Runner,
  argv: readonly string[],
  options?: RunOptions,
): Promise<string> {
  const result = await runner(argv, options);
  if (result.code !== 0) throw new CommandError(argv, result.code, result.stderr);
  return result.stdout;
}

/** True when `error` is a CommandError of the given kind. */
export function isCommandError(error: unknown, kind?: CommandErrorKind): error is CommandError {
  return error instanceof CommandError && (kind === undefined || error.kind === kind);
}
