/**
 * eve-bridge: EVE's CNI plugin. The thin entry point: read the CNI environment and stdin,
 * run one invocation, print the result (or error JSON), exit with its code.
 *
 * VERSION (which runtimes call often) is answered before the plugin's modules are loaded:
 * its static imports are a few lines, and the plugin comes in by a dynamic import, which the
 * bundler turns into lazily evaluated modules of the same file (`deno bundle` keeps one file;
 * scripts/bundle_test.ts checks that the program still is one). Evaluating every module
 * (schemas, npm packages) cost VERSION ~17 ms over Deno's empty-script start. stdin is read
 * with plain reads (a `Response` would make Deno load its fetch stack, ~14 ms measured with
 * --cpu-prof) and the log's file sink loads only when a log is opened
 * (plugin/cni/logging.ts). `deno task bench:startup` measures it.
 */
import { useToolSearchPath } from "../../core/tool_path.ts";
import { VERSION_STDIN_ENV } from "../../core/launched_program.ts";
import { versionAnswer } from "../cni/version_answer.ts";
import { DHCP_EVENT_COMMAND } from "./dhcp/event_command.ts";

/** All of stdin as text (a CNI config is a few KiB). */
async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const count = await Deno.stdin.read(buffer);
    if (count === null) break;
    chunks.push(buffer.slice(0, count));
  }
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

// Runtimes may pass no PATH, or an empty one: ip, nsenter and udhcpc are then found in the
// standard directories.
useToolSearchPath();

// Not a CNI call: udhcpc's hook reporting a lease event (DHCP_EVENT_COMMAND, dhcp/hook.ts).
if (Deno.args[0] === DHCP_EVENT_COMMAND) {
  const { runDhcpEvent } = await import("./mod.ts");
  Deno.exit(await runDhcpEvent(Deno.args.slice(1)));
}

const env = Deno.env.toObject();
// A VERSION the launcher did not answer itself (scripts/launcher.ts) comes with the stdin it
// read already; stdin is still read (then at its end), so the process waits on I/O once.
const stdin = await readStdin();

const output = env.CNI_COMMAND === "VERSION"
  ? { stdout: versionAnswer(env[VERSION_STDIN_ENV] ?? stdin), exitCode: 0 }
  : await runPlugin(env, stdin);

async function runPlugin(
  env: Record<string, string>,
  stdin: string,
): Promise<{ stdout: string; exitCode: number }> {
  const [{ run }, { createEveBridgePlugin }] = await Promise.all([
    import("../cni/mod.ts"),
    import("./plugin.ts"),
  ]);
  return await run({ env, stdin }, createEveBridgePlugin());
}

if (output.stdout !== "") {
  const text = output.stdout.endsWith("\n") ? output.stdout : `${output.stdout}\n`;
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
Deno.exit(output.exitCode);
