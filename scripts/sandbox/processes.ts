/** Processes on the machine by name, read from /proc (for leak checks and cleanup). */

export interface NamedProcess {
  pid: number;
  netnsInode: number | null;
  cmdline: string[];
}

export type DhcpClientProcess = NamedProcess;

/** Every udhcpc on the machine with its netns inode and argv. */
export function listDhcpClients(): Promise<DhcpClientProcess[]> {
  return listProcesses("udhcpc");
}

/** Every live process whose command name (/proc/<pid>/comm) is `name`, with netns and argv. */
export async function listProcesses(name: string): Promise<NamedProcess[]> {
  const out: NamedProcess[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    try {
      const comm = (await Deno.readTextFile(`/proc/${pid}/comm`)).trim();
      if (comm !== name) continue;
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
