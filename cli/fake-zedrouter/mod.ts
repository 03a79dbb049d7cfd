/** fake-zedrouter: the daemon, its config and its CLI (imported by the entry point and tests). */
export { type CliIo, describeConfig, runCli } from "./cli.ts";
export { ConfigError, loadConfigFile, parseConfigText } from "./config.ts";
export { DEFAULT_CONFIG_YAML, defaultConfig } from "./default_config.ts";
export { type RunningZedrouter, type ServeOptions, startZedrouter } from "./daemon.ts";
export { dnsmasqPaths, niOfDnsmasqPidFile } from "./dnsmasq_config.ts";
export type { Adapter, App, Config, LocalNi, NetworkInstance, SwitchNi } from "./model.ts";
export { PROGRAM, VERSION } from "./version.ts";
