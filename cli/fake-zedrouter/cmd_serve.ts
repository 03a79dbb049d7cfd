/**
 * `fake-zedrouter serve`: bring the daemon up and run it until SIGTERM/SIGINT (SIGHUP
 * reloads). Options for CI: `--ready-file`, `--journal`, `--journal-size`, `--teardown`.
 */
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { errorMessage } from "../../core/mod.ts";
import { DEFAULT_SOCKET_PATH } from "../../rpc/mod.ts";
import type { CliIo } from "./cli_io.ts";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_FAKE_ZEDROUTER_STATE_DIR } from "../../core/eve/mod.ts";
import { startZedrouter } from "./daemon.ts";
import { DEFAULT_JOURNAL_ENTRIES } from "./journal.ts";

/** A commander parser for a positive whole number; `unit` names it in the error. */
export function positiveInt(unit: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) {
      throw new InvalidArgumentError(`Expected a positive whole number of ${unit}`);
    }
    return n;
  };
}

export function addServeCommand(program: Command, io: CliIo, examples: string): void {
  program.command("serve")
    .description("Create the network instances, start dnsmasq and serve the RPC until stopped")
    .option("-c, --config <file>", "config file (YAML or JSON); default: the built-in config")
    .option("-s, --socket <path>", "unix socket to serve on", DEFAULT_SOCKET_PATH)
    .option(
      "-d, --state-dir <dir>",
      "state file, dnsmasq configs, leases, pids",
      DEFAULT_FAKE_ZEDROUTER_STATE_DIR,
    )
    .option(
      "--call-timeout <ms>",
      "deadline of each RPC call (EVE: 10 s)",
      positiveInt("milliseconds"),
      DEFAULT_CALL_TIMEOUT_MS,
    )
    .option("--ready-file <path>", "written (pid, socket) once serving with every NI up")
    .option("--journal <path>", "append every EVE call as a JSON line to this file")
    .option(
      "--journal-size <entries>",
      "calls the in-memory journal keeps (and at most 8 MiB of them)",
      positiveInt("entries"),
      DEFAULT_JOURNAL_ENTRIES,
    )
    .option("--teardown", "on SIGTERM/SIGINT also remove app veths, NI bridges and state.json")
    .option("-q, --quiet", "log nothing but errors")
    .addHelpText("after", examples)
    .action(async (opts) => {
      const log = (message: string) => {
        if (!opts.quiet) io.err(`${new Date().toISOString()} ${message}\n`);
      };
      const running = await startZedrouter({
        configPath: opts.config ?? null,
        socketPath: opts.socket,
        stateDir: opts.stateDir,
        callTimeoutMs: opts.callTimeout,
        readyFile: opts.readyFile ?? null,
        journalPath: opts.journal ?? null,
        journalEntries: opts.journalSize,
        teardown: opts.teardown ?? false,
        log,
      });
      let stop = () => {};
      await new Promise<void>((resolve) => {
        const offs = [
          io.onSignal("SIGTERM", resolve),
          io.onSignal("SIGINT", resolve),
          io.onSignal("SIGHUP", () => {
            log("SIGHUP: reloading the config");
            running.reload().catch((error) =>
              io.err(`Reload failed, keeping the previous config: ${errorMessage(error)}\n`)
            );
          }),
        ];
        stop = () => offs.forEach((off) => off());
      });
      stop();
      log("Stopping");
      await running.close();
    });
}
