/**
 * What the lease-release and DEL-always-finishes tests do to a node: eve-bridge's state dir on
 * a small tmpfs of its own (mounted inside the test's dir, so read-only and full are real
 * kernel answers, EROFS and ENOSPC, and nothing of the machine's own file systems changes),
 * dnsmasq paused so an ADD can be caught while its udhcpc waits, and the eve-bridge process a
 * runtime's ADD started, found by its parent.
 */
import { isAlive, readDnsmasqLeases, signalPid, systemRunner } from "../../netns/mod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";
import { type Attachment, cnidriveArgv, type E2ePod } from "../../scripts/sandbox/pod.ts";
import { eventually } from "../poll.ts";
import { dnsmasqOf } from "./harness.ts";

async function run(argv: string[]): Promise<void> {
  const out = await systemRunner(argv);
  if (out.code !== 0) throw new Error(`${argv.join(" ")} failed (${out.code}): ${out.stderr}`);
}

/**
 * Runs `body` with the node's eve-bridge state dir on a tmpfs of `sizeKiB`; unmounted after,
 * even on failure (lazily if a process still holds it).
 */
export async function withTmpfsStateDir(
  node: E2eNode,
  sizeKiB: number,
  body: () => Promise<void>,
): Promise<void> {
  await Deno.mkdir(node.stateDir, { recursive: true });
  await run(["mount", "-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0700`, "tmpfs", node.stateDir]);
  try {
    await body();
  } finally {
    const out = await systemRunner(["umount", node.stateDir]);
    if (out.code !== 0) await run(["umount", "-l", node.stateDir]);
  }
}

/**
 * Remounts the state dir read-only (or back). A process that has a file open for writing
 * (the hook's callback finishing) makes the kernel say EBUSY for a moment: retried.
 */
export async function setReadOnly(node: E2eNode, readOnly: boolean): Promise<void> {
  const argv = ["mount", "-o", `remount,${readOnly ? "ro" : "rw"}`, node.stateDir];
  await eventually(
    `${argv.join(" ")} to succeed`,
    async () => (await systemRunner(argv)).code === 0 || undefined,
    10_000,
  );
}

/** Fills the state dir's file system until the kernel says ENOSPC; returns the filler's path. */
export async function fillStateDir(node: E2eNode): Promise<string> {
  const path = `${node.stateDir}/filler`;
  const file = await Deno.open(path, { create: true, write: true, append: true });
  const chunk = new Uint8Array(4096).fill(0x5a);
  try {
    for (;;) await file.write(chunk);
  } catch (error) {
    if (!String(error).includes("No space left")) throw error;
  } finally {
    file.close();
  }
  return path;
}

/** The pid of the NI's dnsmasq, from fake-zedrouter's own record. */
export async function dnsmasqPid(node: E2eNode, niName: string): Promise<number> {
  const { pid } = await dnsmasqOf(node, niName);
  if (pid === null) throw new Error(`dnsmasq of "${niName}" is not running`);
  return pid;
}

/** Runs `body` with the NI's dnsmasq stopped (SIGSTOP); it always continues afterwards. */
export async function withDnsmasqPaused<T>(
  node: E2eNode,
  niName: string,
  body: (resume: () => void) => Promise<T>,
): Promise<T> {
  const pid = await dnsmasqPid(node, niName);
  signalPid(pid, "SIGSTOP");
  const resume = () => signalPid(pid, "SIGCONT");
  try {
    return await body(resume);
  } finally {
    resume();
  }
}

/** A runtime's CNI call started, not awaited: its pid (cnidrive) and its outcome. */
export function startCni(
  cnidrive: string,
  node: E2eNode,
  op: "add" | "del",
  pod: E2ePod,
  attachment: Attachment,
): { pid: number; done: Promise<{ code: number; stdout: string; stderr: string }> } {
  const [cmd, ...args] = cnidriveArgv(cnidrive, node, op, pod, attachment);
  const child = new Deno.Command(cmd!, { args, stdout: "piped", stderr: "piped" }).spawn();
  const decoder = new TextDecoder();
  const done = child.output().then((out) => ({
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  }));
  return { pid: child.pid, done };
}

/** The live children of `ppid` (from /proc/<pid>/stat: field 4 is the parent). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid && isAlive(Number(entry.name))) out.push(Number(entry.name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** The leases dnsmasq holds for `mac` on the NI, read from its lease file. */
export async function leasesOf(node: E2eNode, niName: string, mac: string): Promise<string[]> {
  const { leaseFile } = await dnsmasqOf(node, niName);
  return (await readDnsmasqLeases(leaseFile)).filter((l) => l.mac === mac).map((l) => l.ip);
}

/**
 * The leases still held for `mac` once dnsmasq has had its chance to act on a release (it
 * handles the packet on its own time after udhcpc sent it): [] as soon as the file shows none,
 * else what it still holds after the bound.
 */
export async function leasesLeft(node: E2eNode, niName: string, mac: string): Promise<string[]> {
  try {
    return await eventually(
      `dnsmasq to drop the lease of ${mac}`,
      async () => (await leasesOf(node, niName, mac)).length === 0 ? [] : undefined,
      5_000,
    );
  } catch {
    return await leasesOf(node, niName, mac);
  }
}
