/** What both log probes write: the invocation's fields and how many lines (log_bench.ts). */
export const LINES = 8;
export const FIELDS = {
  command: "ADD",
  containerID: "0123456789abcdef",
  ifname: "net1",
  podNamespace: "eve-kube-app",
  podName: "nginx-1",
};

/**
 * Prints the milliseconds since `started` (the probe's only output), then waits on I/O once:
 * Deno writes a module's code cache entry only when its event loop turns (scripts/
 * code_cache.ts), and the probes are measured with a warm cache, as the programs run.
 */
export async function report(started: number): Promise<void> {
  Deno.stdout.writeSync(new TextEncoder().encode(`${(performance.now() - started).toFixed(2)}\n`));
  await Deno.readFile("/proc/self/stat");
}
