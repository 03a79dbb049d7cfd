/**
 * One process with exactly the environment the caller passes (`clearEnv`) and `stdin` as its
 * input: the CNI exec protocol (plugin/cni/ runs delegated plugins with it) and the
 * netns-identity `stat`. argv only, no shell. Unlike `systemRunner` (runner.ts), which adds to
 * the inherited environment, nothing of this process's environment leaks into the child.
 */

/**
 * Makes Deno load its process module now (reading `Deno.Command` does), so a caller about to
 * wait on I/O anyway can pay that ~8 ms of CPU (measured: the first read of Deno.Command, warm
 * code cache, eve-bridge's V8 flags) while it waits, instead of when it starts its first
 * process. Deno loads that module on first use; nothing else changes.
 */
export function loadProcessSupport(): void {
  void Deno.Command;
}

export interface SpawnOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` with `env` as the whole environment and `stdin` as its input. */
export async function spawn(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  stdin: string,
): Promise<SpawnOutput> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("Cannot run an empty command");
  const child = new Deno.Command(program, {
    args,
    env: { ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(stdin));
  } catch {
    // The child exited without reading stdin; its exit status tells the story.
  } finally {
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
