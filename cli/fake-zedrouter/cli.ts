/**
 * The `fake-zedrouter` command line: `serve`, `validate`, `default-config`. The entry
 * point (cli/fake-zedrouter/main.ts) hands in the process's streams and signals; this returns
 * the exit code.
 */
import { Command, CommanderError, InvalidArgumentError } from "@commander-js/extra-typings";
import { errorMessage } from "../../core/mod.ts";
import { DEFAULT_SOCKET_PATH } from "../../rpc/mod.ts";
import { ConfigError, loadConfigFile } from "./config.ts";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_FAKE_ZEDROUTER_STATE_DIR } from "../../core/eve/mod.ts";
import { startZedrouter } from "./daemon.ts";
import { DEFAULT_CONFIG_YAML } from "./default_config.ts";
import type { Config } from "./model.ts";
import { rangeText, subnetText } from "./ipv4.ts";
import { PROGRAM, VERSION } from "./version.ts";

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Calls `handler` on each delivery of `signal` until the returned function is called. */
  readonly onSignal: (signal: "SIGTERM" | "SIGINT" | "SIGHUP", handler: () => void) => () => void;
}

const EXAMPLES = `
Examples:
  # Serve the built-in demo config on EVE's socket (run as root, in the node's netns)
  fake-zedrouter serve

  # Your own config, a private socket and state dir (as the tests do)
  ip netns exec node1 fake-zedrouter serve --config ni.yaml \\
      --socket /tmp/zr/rpc.sock --state-dir /tmp/zr/state

  # Check a config and see the MACs, addresses and pod names it implies
  fake-zedrouter validate --config ni.yaml

  # Start from the built-in config
  fake-zedrouter default-config > ni.yaml

Signals (serve): SIGHUP re-reads the config (NIs, apps, DHCP reservations);
SIGTERM/SIGINT stop dnsmasq and remove the socket (bridges and pod veths stay).`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new InvalidArgumentError("Expected a positive whole number of milliseconds");
  }
  return n;
}

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

  program.addCommand(serveCommand(io));

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

  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" with exit code 0 under exitOverride.
      return error.exitCode;
    }
    io.err(`${PROGRAM}: ${errorMessage(error)}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
  return 0;
}

function serveCommand(io: CliIo) {
  return new Command("serve")
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
      positiveInt,
      DEFAULT_CALL_TIMEOUT_MS,
    )
    .option("-q, --quiet", "log nothing but errors")
    .addHelpText("after", EXAMPLES)
    .action((opts) => serve(opts, io));
}

interface ServeFlags {
  readonly config?: string | undefined;
  readonly socket: string;
  readonly stateDir: string;
  readonly callTimeout: number;
  readonly quiet?: true | undefined;
}

/** Serves until SIGTERM or SIGINT; SIGHUP reloads the config. */
async function serve(opts: ServeFlags, io: CliIo): Promise<void> {
  const log = (message: string) => {
    if (!opts.quiet) io.err(`${new Date().toISOString()} ${message}\n`);
  };
  const running = await startZedrouter({
    configPath: opts.config ?? null,
    socketPath: opts.socket,
    stateDir: opts.stateDir,
    callTimeoutMs: opts.callTimeout,
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
}
