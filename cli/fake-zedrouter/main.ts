/**
 * Entry point of `fake-zedrouter`: wires the process's streams, signals and exit code to
 * the CLI in cli/fake-zedrouter/.
 */
import { useToolSearchPath } from "../../core/tool_path.ts";
import { runCli } from "./mod.ts";

// With no PATH (or an empty one) ip, sysctl and dnsmasq are found in the standard directories.
useToolSearchPath();

const encoder = new TextEncoder();
const code = await runCli(Deno.args, {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text)),
  onSignal: (signal, handler) => {
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  },
});
Deno.exit(code);
