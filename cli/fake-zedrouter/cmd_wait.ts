/**
 * `fake-zedrouter wait --socket S --timeout T`: for a CI step between starting the daemon
 * and using it. Polls Inspect.Health until it answers (exit 0), or gives up after T seconds
 * (exit 1, saying what the socket did last: missing, refusing, silent). Something that
 * answers but is not a fake-zedrouter (EVE's own zedrouter has no Inspect service) is an
 * exit 1 at once, as waiting longer cannot change it.
 */
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { errorMessage } from "../../core/mod.ts";
import { callOnce, DEFAULT_SOCKET_PATH, RpcRemoteError } from "../../rpc/mod.ts";
import type { CliIo } from "./cli_io.ts";

const POLL_MS = 100;
/** One Health call may take this long before the next try. */
const CALL_MS = 2000;
export const DEFAULT_WAIT_SECONDS = 30;

/** Raised when the daemon is not ready in time; exit 1. */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotReadyError";
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("Expected a positive number of seconds, such as 30 or 0.5");
  }
  return n;
}

/** Resolves with Health's version once it answers; NotReadyError after `timeoutMs`. */
export async function waitForHealth(socket: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    try {
      const health = await callOnce(socket, "Inspect.Health", {}, {
        timeoutMs: Math.max(1, Math.min(CALL_MS, left)),
      });
      return health.version;
    } catch (error) {
      if (error instanceof RpcRemoteError) {
        throw new NotReadyError(
          `Something answers on "${socket}" but not as fake-zedrouter: ${error.remoteMessage}`,
        );
      }
      if (Date.now() + POLL_MS > deadline) {
        throw new NotReadyError(
          `fake-zedrouter is not ready on "${socket}" after ${timeoutMs / 1000} s: ` +
            errorMessage(error),
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function addWaitCommand(program: Command, io: CliIo): void {
  program.command("wait")
    .description("Wait until fake-zedrouter answers on the socket (exit 0), or time out (exit 1)")
    .option("-s, --socket <path>", "the daemon's socket", DEFAULT_SOCKET_PATH)
    .option("-t, --timeout <seconds>", "how long to wait", seconds, DEFAULT_WAIT_SECONDS)
    .action(async (opts) => {
      const version = await waitForHealth(opts.socket, opts.timeout * 1000);
      io.out(`${version} is ready on ${opts.socket}\n`);
    });
}
