/**
 * eve-bridge: EVE's CNI plugin. The thin entry point: read the CNI environment and stdin,
 * run one invocation, print the result (or error JSON), exit with its code.
 */
import { run } from "../plugin/cni/mod.ts";
import { createEveBridgePlugin } from "../plugin/eve_bridge/mod.ts";

const stdin = await new Response(Deno.stdin.readable).text();
const output = await run({ env: Deno.env.toObject(), stdin }, createEveBridgePlugin());
if (output.stdout !== "") {
  const bytes = new TextEncoder().encode(
    output.stdout.endsWith("\n") ? output.stdout : `${output.stdout}\n`,
  );
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
Deno.exit(output.exitCode);
