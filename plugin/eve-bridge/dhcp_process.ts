/**
 * The long-running udhcpc of an attachment, seen from later invocations (DEL, CHECK, GC), which
 * only have its record from the state file. A pid may have been reused since ADD (a crashed
 * udhcpc's pid can be recycled), so we only ever signal a process that core/eve's check
 * (dhcp_client.ts: udhcpc, our pid file, the recorded start time) proves ours.
 */
import { readDhcpEvents, type Runner, signalPid, waitForDhcpEvent } from "../../netns/mod.ts";
import { type DhcpClientRecord, isOurDhcpClient } from "../../core/eve/mod.ts";

async function waitNotOurs(client: DhcpClientRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isOurDhcpClient(client)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export type StopOutcome = "released" | "stopped-without-release" | "already-gone";

/**
 * Releases the lease and ends the client. SIGUSR2 makes busybox udhcpc send DHCPRELEASE (the
 * server drops the lease at once) and run `deconfig`, which we wait for so the release is on
 * the wire before SIGTERM; then SIGTERM, and SIGKILL if it lingers.
 */
export async function stopDhcpClient(
  _runner: Runner,
  client: DhcpClientRecord,
  options: { timeoutMs?: number } = {},
): Promise<StopOutcome> {
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!isOurDhcpClient(client)) return "already-gone";
  const before = (await readDhcpEvents(client.eventFile)).length;
  signalPid(client.pid, "SIGUSR2");
  const deconfig = await waitForDhcpEvent(client.eventFile, (e) => e.event === "deconfig", {
    skip: before,
    timeoutMs,
  });
  signalPid(client.pid, "SIGTERM");
  if (!(await waitNotOurs(client, timeoutMs))) {
    signalPid(client.pid, "SIGKILL");
    if (!(await waitNotOurs(client, 5000))) {
      throw new Error(`udhcpc (pid ${client.pid}) survived SIGKILL`);
    }
  }
  return deconfig ? "released" : "stopped-without-release";
}
