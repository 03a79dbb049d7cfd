/** The udhcpc processes on the machine, read from /proc (for leak checks and cleanup). */

export interface DhcpClientProcess {
  pid: number;
  netnsInode: number | null;
  cmdline: string[];
}

/** Every udhcpc on the machine with its netns inode and argv. */
export async function listDhcpClients(): Promise<DhcpClientProcess[]> {
  const out: DhcpClientProcess[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    try {
      const comm = (await Deno.readTextFile(`/proc/${pid}/comm`)).trim();
      if (comm !== "udhcpc") continue;
      const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").filter((
        a,
      ) => a);
      const ino = (await Deno.stat(`/proc/${pid}/ns/net`).catch(() => undefined))?.ino ?? null;
      out.push({ pid, netnsInode: ino, cmdline });
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}
