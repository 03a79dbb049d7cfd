/**
 * eve-bridge: EVE's CNI plugin. The thin entry point: read the CNI environment and stdin,
 * run one invocation, print the result (or error JSON), exit with its code.
 *
 * The plugin is imported dynamically: the bundle then evaluates the plugin's modules only when
 * needed, so VERSION (which runtimes call often) does not pay for loading them.
 */
// Runtimes normally pass their PATH on; without one, ip/nsenter/udhcpc would not be found.
if (Deno.env.get("PATH") === undefined) {
  Deno.env.set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

// Not a CNI call: udhcpc's hook reporting a lease event (DHCP_EVENT_COMMAND, dhcp_hook.ts).
if (Deno.args[0] === "dhcp-event") {
  const { runDhcpEvent } = await import("../plugin/eve_bridge/mod.ts");
  Deno.exit(await runDhcpEvent(Deno.args.slice(1)));
}

const env = Deno.env.toObject();
const stdin = await new Response(Deno.stdin.readable).text();

let output: { stdout: string; exitCode: number };
if (env.CNI_COMMAND === "VERSION") {
  const { versionAnswer } = await import("../plugin/cni/version_answer.ts");
  output = { stdout: versionAnswer(stdin), exitCode: 0 };
} else {
  const { run } = await import("../plugin/cni/mod.ts");
  const { createEveBridgePlugin } = await import("../plugin/eve_bridge/mod.ts");
  output = await run({ env, stdin }, createEveBridgePlugin());
}

if (output.stdout !== "") {
  const text = output.stdout.endsWith("\n") ? output.stdout : `${output.stdout}\n`;
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
Deno.exit(output.exitCode);
