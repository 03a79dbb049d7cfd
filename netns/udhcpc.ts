/**
 * DHCP client side with busybox udhcpc, run inside a pod netns via nsenter. The hook
 * script only REPORTS what udhcpc learned and never configures the interface: zedrouter
 * applies the address at L3 (ConnectPodAtL3), and a second writer would race it.
 */
import * as v from "valibot";
import { IpSchema } from "../core/mod.ts";
import { checkAbsPath, checked, checkIfName, checkNetnsPath } from "./_validate.ts";
import {
  EVENT_FILE_ENV,
  type Lease,
  leaseFromEvent,
  parseDhcpEvents,
  readDhcpEvents,
  waitForDhcpEvent,
} from "./dhcp_events.ts";
import { CommandError, EXIT_TIMED_OUT, type Runner } from "./runner.ts";
import {
  type DetachedDaemon,
  signalPid,
  spawnDaemon,
  startDetachedDaemon,
  stopPid,
} from "./process.ts";
export interface DhcpClientIdentity {
  /** A netns path (`/var/run/netns/X` or `/proc/<pid>/ns/net`). */
  netnsPath: string;
  ifname: string;
  /** Sent as option 12; letters, digits and "-" only. */
  hostname?: string;
  /** Option 61 as hex bytes, e.g. "01" + MAC without colons. Default: udhcpc's own (01+MAC). */
  clientId?: string;
  /** Path of the hook written by writeUdhcpcHookScript. */
  scriptPath: string;
}

const HostnameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9-]{1,63}$/, "A DHCP hostname has 1 to 63 letters, digits or '-'"),
);
const ClientIdSchema = v.pipe(
  v.string(),
  v.regex(
    /^([0-9a-fA-F]{2}){2,64}$/,
    "A client id is an even number of hex digits (2 to 64 bytes)",
  ),
);

/** The argv shared by one-shot and long-running clients (validated; argv elements only). */
function udhcpcArgv(id: DhcpClientIdentity, extra: readonly string[]): string[] {
  const argv = [
    "nsenter",
    `--net=${checkNetnsPath(id.netnsPath)}`,
    "udhcpc",
    "-i",
    checkIfName(id.ifname),
    "-f",
    "-s",
    checkAbsPath(id.scriptPath, "hook script path"),
    "-O",
    "staticroutes",
    "-O",
    "domain",
    "-O",
    "dns",
    "-O",
    "router",
    ...extra,
  ];
  if (id.hostname !== undefined) {
    argv.push("-x", `hostname:${checked(HostnameSchema, id.hostname, "hostname")}`);
  }
  if (id.clientId !== undefined) {
    argv.push("-x", `0x3d:${checked(ClientIdSchema, id.clientId, "client id")}`);
  }
  return argv;
}

export interface AcquireOptions extends DhcpClientIdentity {
  /** Seconds between DISCOVER retries (-T). */
  timeoutSeconds: number;
  /** DISCOVERs sent before giving up (-t). */
  retries: number;
}

function checkCount(n: number, field: string): string {
  if (!Number.isInteger(n) || n < 1 || n > 600) {
    throw new TypeError(`Invalid ${field} ${n}: expected an integer from 1 to 600`);
  }
  return String(n);
}

/**
 * One-shot lease: `udhcpc -f -q -n` exits once bound (or fails after the retries). The
 * lease stays with the server until released (see releaseLease); the interface is untouched.
 */
export async function acquireLease(runner: Runner, options: AcquireOptions): Promise<Lease> {
  const retries = checkCount(options.retries, "retries");
  const timeout = checkCount(options.timeoutSeconds, "timeoutSeconds");
  const argv = udhcpcArgv(options, ["-q", "-n", "-t", retries, "-T", timeout]);
  // Bounded: udhcpc gives up by itself after retries*timeout; the margin covers REQUEST/ACK.
  const timeoutMs = (options.retries * options.timeoutSeconds + 10) * 1000;
  const result = await runner(argv, { timeoutMs });
  const bound = parseDhcpEvents(result.stdout).filter((e) => e.event === "bound").at(-1);
  if (result.code !== 0 || bound === undefined) {
    const why = result.code === EXIT_TIMED_OUT ? "timed out" : "no lease obtained";
    throw new CommandError(argv, result.code, `${why} on "${options.ifname}"\n${result.stderr}`);
  }
  return leaseFromEvent(bound);
}

export interface ReleaseOptions extends DhcpClientIdentity {
  /** The leased address (`10.11.12.5` or `10.11.12.5/24`). */
  address: string;
  /** Bound on the whole exchange. Default 10000 ms. */
  timeoutMs?: number;
}

/**
 * Gives a lease obtained by acquireLease back to the server. busybox `udhcpc -q -R` does
 * not release (it quits before it counts as bound), so a short-lived foreground client
 * re-requests the same address (-r), and once bound SIGUSR2 makes it send DHCPRELEASE.
 *
 * The release is a unicast UDP packet from the leased address, so the pod interface must
 * still exist and carry that address (release BEFORE removing the interface); without it
 * busybox cannot send the packet and the server keeps the lease until it expires. Resolves
 * false when no server answered the re-request within the timeout.
 */
export async function releaseLease(options: ReleaseOptions): Promise<boolean> {
  const address = checked(IpSchema, options.address.split("/")[0], "address to release");
  const timeoutMs = options.timeoutMs ?? 10000;
  const dir = await Deno.makeTempDir({ prefix: "eve-dhcp-release-" });
  const eventFile = `${dir}/events`;
  const argv = udhcpcArgv(options, ["-r", address, "-t", "3", "-T", "1"]);
  const client = spawnDaemon(argv, { env: { [EVENT_FILE_ENV]: eventFile } });
  try {
    const bound = await waitForDhcpEvent(eventFile, (e) => e.event === "bound", { timeoutMs });
    if (bound === undefined) return false;
    const seen = (await readDhcpEvents(eventFile)).length;
    signalPid(client.pid, "SIGUSR2");
    const released = await waitForDhcpEvent(eventFile, (e) => e.event === "deconfig", {
      skip: seen,
      timeoutMs,
    });
    return released !== undefined;
  } finally {
    await stopPid(client.pid, { graceMs: 1000 });
    await client.exited;
    await Deno.remove(dir, { recursive: true });
  }
}

export interface DhcpClientOptions extends DhcpClientIdentity {
  /** JSON lines, one per bound/renew/deconfig/leasefail/nak event. */
  eventFile: string;
  /** udhcpc writes its pid here (-p). */
  pidFile: string;
}

/**
 * A long-running client that renews the lease (`udhcpc -f -R` as a detached daemon, in its
 * own session so it outlives a CNI plugin invocation). -R releases the lease on SIGTERM.
 */
export function startDhcpClient(options: DhcpClientOptions): Promise<DetachedDaemon> {
  const argv = udhcpcArgv(options, [
    "-R",
    "-p",
    checkAbsPath(options.pidFile, "pid file path"),
  ]);
  const eventFile = checkAbsPath(options.eventFile, "event file path");
  return startDetachedDaemon(argv, { [EVENT_FILE_ENV]: eventFile });
}
/** SIGUSR1: busybox udhcpc renews now (a `renew` event follows). */
export function renewDhcpClient(pid: number): void {
  signalPid(pid, "SIGUSR1");
}

/**
 * Releases and stops a long-running client: SIGUSR2 makes busybox udhcpc send DHCPRELEASE
 * and run `deconfig`; we wait for that event (when eventFile is given) so the release is on
 * the wire before SIGTERM ends the process.
 */
export async function releaseDhcpClient(
  pid: number,
  options: { eventFile?: string; timeoutMs?: number } = {},
): Promise<void> {
  const before = options.eventFile ? (await readDhcpEvents(options.eventFile)).length : 0;
  if (signalPid(pid, "SIGUSR2") && options.eventFile) {
    await waitForDhcpEvent(options.eventFile, (e) => e.event === "deconfig", {
      skip: before,
      timeoutMs: options.timeoutMs ?? 3000,
    });
  }
  await stopPid(pid, { graceMs: options.timeoutMs ?? 3000 });
}
