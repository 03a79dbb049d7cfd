/** eve-cni-debug: the inspector CLI as a library (runCli) for the entry point and tests. */
export { type CliResult, defaultDeps, runCli } from "./program.ts";
export { ExitCode } from "./exit_codes.ts";
export type { Deps, GlobalOptions, Outcome } from "./context.ts";
