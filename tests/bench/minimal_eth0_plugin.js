// @ts-check
/**
 * bench:attach's reference Deno plugin: the least an eth0 plugin written for Deno does. It
 * reads stdin, hands the config unchanged to `bridge` (found on CNI_PATH) with the caller's
 * environment, and prints what bridge printed with bridge's exit code: no validation, no log,
 * no checks. Run with eve-bridge's own flags and a warm code cache (attach_floors.ts), its
 * time is Deno's start plus Deno's process module plus bridge + host-local, the floor any
 * Deno plugin that delegates with Deno.Command stands on (eve-bridge starts bridge with libc's
 * posix_spawn, netns/libc_spawn.ts, and so does not load that module). Not part of the
 * toolkit: a measuring stick.
 */
const chunks = [];
const buffer = new Uint8Array(64 * 1024);
for (;;) {
  const count = await Deno.stdin.read(buffer);
  if (count === null) break;
  chunks.push(buffer.slice(0, count));
}
const stdin = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
let offset = 0;
for (const chunk of chunks) {
  stdin.set(chunk, offset);
  offset += chunk.length;
}
const dirs = (Deno.env.get("CNI_PATH") ?? "").split(":").filter((dir) => dir !== "");
const bridge = dirs.map((dir) => `${dir}/bridge`).find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});
if (bridge === undefined) {
  Deno.stdout.writeSync(
    new TextEncoder().encode('{"cniVersion":"1.0.0","code":7,"msg":"no bridge on CNI_PATH"}\n'),
  );
  Deno.exit(1);
}
const child = new Deno.Command(bridge, { stdin: "piped", stdout: "piped", stderr: "inherit" })
  .spawn();
const writer = child.stdin.getWriter();
await writer.write(stdin);
await writer.close();
const output = await child.output();
for (let written = 0; written < output.stdout.length;) {
  written += Deno.stdout.writeSync(output.stdout.subarray(written));
}
Deno.exit(output.code);
