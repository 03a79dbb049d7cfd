/**
 * The spec layer's two subprocesses: delegated CNI plugins (the CNI exec protocol itself) and
 * `stat` for namespace identity (Deno refuses /proc/self/* and /proc/<pid>/* to programs run
 * without --allow-all, and the launcher grants only what a plugin needs). argv only, no shell;
 * the environment is exactly what the caller passes.
 */

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
