/**
 * The `fake-zedrouter` command line: `serve`, `validate`, `default-config`, and for CI
 * `wait`, `journal` and `fault add|list|clear` (cmd_*.ts). The entry
 * point (cli/fake-zedrouter/main.ts) hands in the process's streams and signals; this returns
 * the exit code.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { errorMessage } from "../../core/mod.ts";
import { type CliIo, UsageError } from "./cli_io.ts";
import { addApplyCommand } from "./cmd_apply.ts";
import { addFaultCommand } from "./cmd_fault.ts";
import { addJournalCommand } from "./cmd_journal.ts";
import { addServeCommand } from "./cmd_serve.ts";
import { addWaitCommand } from "./cmd_wait.ts";
import { ConfigError, loadConfigFile } from "./config.ts";
import { DEFAULT_CONFIG_YAML } from "./default_config.ts";
import { FaultTable } from "./fault_table.ts";
import { faultsTable } from "./journal_table.ts";
import type { Config } from "./model.ts";
import { rangeText, subnetText } from "./ipv4.ts";
import { PROGRAM, VERSION } from "./version.ts";

export type { CliIo };

const EXAMPLES = `
Examples:
  # Serve the built-in demo config on EVE's socket (run as root, in the node's netns)
  fake-zedrouter serve

  # Your own config, a private socket and state dir (as the tests do)
  ip netns exec node1 fake-zedrouter serve --config ni.yaml \\
      --socket /tmp/zr/rpc.sock --state-dir /tmp/zr/state

  # In CI: know when it is ready, keep a journal, make ConnectPodAtL3 fail once
  fake-zedrouter serve --config ni.yaml --socket /tmp/zr/rpc.sock \\
      --ready-file /tmp/zr/ready --journal /tmp/zr/journal.jsonl --teardown &
  fake-zedrouter wait --socket /tmp/zr/rpc.sock --timeout 30
  fake-zedrouter fault add --socket /tmp/zr/rpc.sock --method ConnectPodAtL3 \\
      --fail "failed to find adapter" --once
  fake-zedrouter journal --socket /tmp/zr/rpc.sock --method ConnectPodAtL3 --json

  # Check a config and see the MACs, addresses and pod names it implies
  fake-zedrouter validate --config ni.yaml

  # Start from the built-in config
  fake-zedrouter default-config > ni.yaml

Signals (serve): SIGHUP re-reads the config (NIs, apps, DHCP reservations, faults);
SIGTERM/SIGINT stop dnsmasq and remove the socket and the ready file (bridges and pod
veths stay, unless --teardown).

Exit codes: 0 done; 1 failed (wait: not ready in time); 2 bad config or usage.`;

/** A short human summary of a resolved config (what `validate` prints). */
export function describeConfig(config: Config): string {
  const lines: string[] = [];
  lines.push(`${config.networkInstances.length} network instance(s):`);
  for (const ni of config.networkInstances) {
    const detail = ni.type === "local"
      ? `subnet ${subnetText(ni.subnet)}, gateway ${ni.gateway}` +
        (ni.dhcpRange ? `, range ${rangeText(ni.dhcpRange)}` : ", reservations only") +
        (ni.defaultRoute ? ", default route" : ", no default route")
      : ni.port === null
      ? "air-gapped (no DHCP)"
      : `port ${ni.port}`;
    lines.push(
      `  ${ni.name} (${ni.type}, bridge ${ni.bridge}, mtu ${ni.mtu}, ${ni.uuid}): ${detail}`,
    );
  }
  lines.push(`${config.apps.length} app(s):`);
  for (const app of config.apps) {
    lines.push(
      `  ${app.name} (${app.uuid}): pods ${app.kubeName}-*, virt-launcher-${app.kubeName}-*`,
    );
    for (const a of app.adapters) {
      lines.push(`    adapter ${a.index}: ${a.niName} mac ${a.mac}${a.ip ? ` ip ${a.ip}` : ""}`);
    }
  }
  if (config.faults.length > 0) {
    lines.push(`${config.faults.length} fault rule(s):`);
    const table = new FaultTable();
    table.setConfigRules(config.faults);
    lines.push(...faultsTable(table.list()).split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n");
}

export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = new Command()
    .name(PROGRAM)
    .description(
      "A working stand-in for EVE's zedrouter: Linux bridges for network instances, a " +
        "dnsmasq per local NI, and EVE's CNI RPC (ConnectPodAtL2/L3, DisconnectPod, " +
        "CheckPodConnection) on a unix socket that EVE's Go eve-bridge can call.",
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText("after", EXAMPLES);

  addServeCommand(program, io, EXAMPLES);
  program.command("validate")
    .description("Check a config file and print what it resolves to")
    .requiredOption("-c, --config <file>", "config file (YAML or JSON)")
    .action(async (opts) => {
      const config = await loadConfigFile(opts.config);
      io.out(`Config "${opts.config}" is valid.\n${describeConfig(config)}\n`);
    });
  program.command("default-config")
    .description("Print the built-in config (a starting point for your own)")
    .action(() => io.out(DEFAULT_CONFIG_YAML));
  addWaitCommand(program, io);
  addJournalCommand(program, io);
  addFaultCommand(program, io);
  addApplyCommand(program, io);

  try {
    await program.parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" with exit code 0 under exitOverride.
      return error.exitCode;
    }
    io.err(`${PROGRAM}: ${errorMessage(error)}\n`);
    return error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
  }
}
