/**
 * One process with exactly the environment the caller passes (`clearEnv`) and `stdin` as its
 * input: the CNI exec protocol (plugin/cni/ runs delegated plugins with it) and the
 * netns-identity `stat`. argv only, no shell. Unlike `systemRunner` (runner.ts), which adds to
 * the inherited environment, nothing of this process's environment leaks into the child.
 * It starts the process with libc's posix_spawn (libc_spawn.ts: ~4 ms less per CNI call than
 * loading Deno's process module), or with Deno.Command where no libc.so.6 can be loaded.
 */
import { libcForSpawn, libcSpawn } from "./libc_spawn.ts";

/**
 * Prepares what this process's next spawn needs, so a caller about to wait on I/O anyway pays
 * for it while it waits instead of when it starts its first process: libc's symbols (~1 ms,
 * libc_spawn.ts), or where there is no libc, Deno's process module (reading `Deno.Command`
 * loads it: ~8 ms of CPU with eve-bridge's V8 flags and a warm code cache).
 */
export function loadProcessSupport(): void {
  if (libcForSpawn() === null) void Deno.Command;
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
  if (argv[0] === undefined) throw new Error("Cannot run an empty command");
  const libc = libcForSpawn();
  const out = libc === null
    ? await spawnWithDenoCommand(argv, env, stdin)
    : await libcSpawn(libc, argv, env, new TextEncoder().encode(stdin));
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function spawnWithDenoCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  stdin: string,
): Promise<Deno.CommandOutput> {
  const [program, ...args] = argv as [string, ...string[]];
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
  return await child.output();
}
