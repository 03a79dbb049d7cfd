/**
 * The root command and its global options. Command files add their subcommand to this
 * typed root and hand their work to `Executor`, which turns the raw global flags into
 * GlobalOptions once and records the Outcome for the entry point to print.
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import {
  type CommandContext,
  DEFAULTS,
  type Deps,
  type GlobalOptions,
  type Outcome,
} from "./context.ts";
import { EXIT_CODES_HELP } from "./exit_codes.ts";

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) {
    throw new InvalidArgumentError(`Expected a positive integer, got "${value}"`);
  }
  return n;
}

const EXAMPLES = `
Examples:
  eve-cni-debug status                      zedrouter socket, tools, CNI plugins, log file
  eve-cni-debug pods                        every pod attachment and whether its chain is whole
  eve-cni-debug show nginx-1a2b3-x7k2p      the whole chain of one pod, link by link
  eve-cni-debug check nginx-1a2b3-x7k2p net1  CheckPodConnection plus the kernel's view
  eve-cni-debug bridges                     bridges, ports, VXLAN uplinks with their peers
  eve-cni-debug doctor --fix                leaks and drift; repair the safe ones
  eve-cni-debug logs --pod nginx-1a2b3-x7k2p --since 10m
  eve-cni-debug rpc call RPCServer.CheckPodConnection --pod P --netns /var/run/netns/X --ifname net1
  eve-cni-debug netns cni-5e0c              interfaces, addresses, routes, rules, neighbours
  eve-cni-debug render --node-ip 192.168.1.10/32  EVE's Multus config and its one NAD
  eve-cni-debug pods --json | jq .

Every command accepts --json (one JSON document on stdout) and the global options.

${EXIT_CODES_HELP}`;

// The return type is the inferred typed Command (its option types are the point); spelling
// it out would duplicate every option above.
// deno-lint-ignore explicit-module-boundary-types
export function createRoot() {
  return new Command()
    .name("eve-cni-debug")
    .description(
      "Inspect pod network attachments on an EVE node: zedrouter, eve-bridge, the kernel, DHCP",
    )
    .version("0.1.0")
    .option("--socket <path>", "zedrouter RPC socket", DEFAULTS.socket)
    .option("--state-dir <dir>", "eve-bridge state directory", DEFAULTS.stateDir)
    .option(
      "--zedrouter-state-dir <dir>",
      "fake-zedrouter state directory (used when the Inspect service is not available)",
      DEFAULTS.zedrouterStateDir,
    )
    .option("--log-file <path>", "eve-bridge log file", DEFAULTS.logFile)
    .option(
      "--host-netns <name|path>",
      "network namespace holding zedrouter's bridges and host veths (default: this one)",
    )
    .addOption(
      new Option("--dialect <dialect>", "RPC wire dialect").choices(["go", "jsonrpc2"] as const)
        .default("go" as const),
    )
    .option("--timeout <ms>", "RPC call timeout in ms", parsePositiveInt, DEFAULTS.timeoutMs)
    .option("--json", "print one JSON document instead of tables", false)
    .showHelpAfterError()
    .addHelpText("after", EXAMPLES);
}

export type Root = ReturnType<typeof createRoot>;
type RawGlobals = ReturnType<Root["opts"]>;

export function toGlobals(raw: RawGlobals): GlobalOptions {
  return {
    socket: raw.socket,
    stateDir: raw.stateDir,
    zedrouterStateDir: raw.zedrouterStateDir,
    logFile: raw.logFile,
    hostNetns: raw.hostNetns,
    dialect: raw.dialect,
    timeoutMs: raw.timeout,
    json: raw.json,
  };
}

/** Runs one command's work with the parsed globals; the outcome is kept for the entry point. */
export class Executor {
  outcome: Outcome | undefined;
  constructor(readonly deps: Deps) {}

  async run(raw: RawGlobals, work: (ctx: CommandContext) => Promise<Outcome>): Promise<void> {
    this.outcome = await work({ globals: toGlobals(raw), deps: this.deps });
  }
}
