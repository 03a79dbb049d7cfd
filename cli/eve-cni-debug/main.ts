/**
 * eve-cni-debug entry point: argv in, text out, exit code. Everything else is in
 * cli/eve-cni-debug/ (runCli), so tests run the same program without a subprocess.
 */
import { useToolSearchPath } from "../../core/tool_path.ts";
import { defaultDeps, runCli } from "./mod.ts";

// With no PATH (or an empty one) ip and nsenter are found in the standard directories.
useToolSearchPath();

const result = await runCli(Deno.args, defaultDeps(Deno.env.toObject()));
const encoder = new TextEncoder();
if (result.stdout) await Deno.stdout.write(encoder.encode(result.stdout));
if (result.stderr) await Deno.stderr.write(encoder.encode(result.stderr));
Deno.exit(result.exitCode);
