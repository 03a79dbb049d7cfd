/**
 * The Runner (runner.ts) of short-lived programs: eve-bridge's commands (the routing policy's
 * `ip -batch` reads and writes and its rp_filter sysctls, the lease's address on an L2-only
 * attachment) start with libc's posix_spawn (libc_spawn.ts), not Deno.Command, whose first use
 * loads Deno's process module with web streams (~350 KB of code cache under eve-bridge's
 * --no-lazy). systemRunner's contract, unchanged: `env` adds to the inherited environment,
 * stdin is empty unless given (an empty pipe, which the child reads as end of file, as it
 * would /dev/null), SIGKILL and EXIT_TIMED_OUT after `timeoutMs`, EXIT_NOT_EXECUTABLE when the
 * program cannot be started. Where no libc.so.6 loads, it is systemRunner.
 * A daemon (fake-zedrouter) keeps systemRunner: it loads the process module once.
 */
import { after, type Timer } from "../core/timers.ts";
import { libcForSpawn, libcSpawn, SpawnFailure } from "./libc_spawn.ts";
import {
  EXIT_NOT_EXECUTABLE,
  type RunOptions,
  type RunResult,
  runResult,
  systemRunner,
} from "./runner.ts";
import { sendSignal } from "./signal.ts";

const ENOENT = 2;
const EACCES = 13;

export async function libcRunner(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const libc = libcForSpawn();
  if (libc === null) return await systemRunner(argv, options);
  const env = { ...Deno.env.toObject(), ...options.env };
  const stdin = new TextEncoder().encode(options.stdin ?? "");
  let timer: Timer | undefined;
  let timedOut = false;
  const killOnTimeout = (pid: number) => {
    if (options.timeoutMs === undefined) return;
    timer = after(options.timeoutMs, () => {
      timedOut = true;
      sendSignal(pid, "SIGKILL");
    });
  };
  try {
    const output = await libcSpawn(libc, argv, env, stdin, killOnTimeout);
    return runResult(output, timedOut ? options.timeoutMs : undefined);
  } catch (error) {
    if (error instanceof SpawnFailure && (error.errno === ENOENT || error.errno === EACCES)) {
      return {
        code: EXIT_NOT_EXECUTABLE,
        stdout: "",
        stderr: `Cannot run "${argv[0]}": ${error.message}`,
      };
    }
    throw error;
  } finally {
    // Cancelled in the same turn as the reap: the timer cannot signal a reused pid.
    timer?.cancel();
  }
}
