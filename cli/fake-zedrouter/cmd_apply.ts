/**
 * `fake-zedrouter apply --config NEW`: hands a running daemon a new config (Control.Apply).
 * The daemon applies it, probes each added or changed network instance and, when a probe
 * fails, puts the previous config back; this prints the outcome per NI and exits 0 only
 * when it was SuccessfullyConfigured (1 when rolled back, 2 for an unreadable file).
 */
import type { Command } from "@commander-js/extra-typings";
import { type ApplyRecord, callOnce, DEFAULT_SOCKET_PATH } from "../../rpc/mod.ts";
import { type CliIo, UsageError } from "./cli_io.ts";

export function formatApply(r: ApplyRecord): string {
  const lines = [
    `${r.outcome}${r.rolledBack ? " (rolled back to the previous config)" : ""}` +
    (r.error ? `: ${r.error}` : ""),
  ];
  for (const ni of r.networkInstances) {
    lines.push(`  ${ni.name} (${ni.change}): ${ni.outcome}${ni.error ? `: ${ni.error}` : ""}`);
  }
  if (r.networkInstances.length === 0 && !r.error) lines.push("  (no network instance changed)");
  return lines.join("\n");
}

export function addApplyCommand(program: Command, io: CliIo): void {
  program.command("apply")
    .description("Apply a new config to a running daemon: probe what changed, roll back on failure")
    .requiredOption("-c, --config <file>", "the new config file (YAML or JSON)")
    .option("-s, --socket <path>", "the daemon's socket", DEFAULT_SOCKET_PATH)
    .option("--probe-timeout <ms>", "how long each changed NI's probe may take", "5000")
    .option("--json", "print the apply record as JSON")
    .action(async (opts) => {
      const probeTimeoutMs = Number(opts.probeTimeout);
      if (!Number.isInteger(probeTimeoutMs) || probeTimeoutMs < 100 || probeTimeoutMs > 60_000) {
        throw new UsageError(
          `--probe-timeout: Expected 100 to 60000 ms, got "${opts.probeTimeout}"`,
        );
      }
      let configText: string;
      try {
        configText = await Deno.readTextFile(opts.config);
      } catch (error) {
        throw new UsageError(`--config: cannot read "${opts.config}": ${error}`);
      }
      // The probes may take their timeout per NI, and a rollback its own time after.
      const timeoutMs = 30_000 + probeTimeoutMs * 4;
      const r = await callOnce(opts.socket, "Control.Apply", { configText, probeTimeoutMs }, {
        timeoutMs,
      });
      io.out(`${opts.json ? JSON.stringify(r) : formatApply(r)}\n`);
      if (r.outcome !== "SuccessfullyConfigured") throw new Error(`apply failed: ${r.error}`);
    });
}
