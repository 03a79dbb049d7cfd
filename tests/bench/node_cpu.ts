/**
 * The CPU time the whole node spent (every process and the kernel, all CPUs), from
 * /proc/stat: the burst's budget is CPU, so bench:attach prints what one attachment costs
 * the node, not only eve-bridge. Busy is user + nice + system + irq + softirq; idle, iowait
 * and steal (the hypervisor's) are not the node's work.
 */
const USER_HZ = 100;

/** Milliseconds of busy CPU time since boot, summed over all CPUs. */
export function nodeBusyMs(stat = Deno.readTextFileSync("/proc/stat")): number {
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) throw new Error("/proc/stat has no cpu line");
  const [user, nice, system, _idle, _iowait, irq, softirq] = line.trim().split(/\s+/).slice(1)
    .map(Number);
  const busy = [user, nice, system, irq, softirq].reduce((sum: number, n) => sum + (n ?? 0), 0);
  return (busy * 1000) / USER_HZ;
}
