/**
 * DHCP client side with busybox udhcpc, run inside a pod netns via nsenter. The hook
 * script only REPORTS what udhcpc learned and never configures the interface: zedrouter
 * applies the address at L3 (ConnectPodAtL3), and a second writer would race it.
 */
import * as v from "valibot";
import ipaddr from "ipaddr.js";
import { CidrSchema, IpSchema } from "../core/mod.ts";
import { checkAbsPath, checked, checkIfName, checkNetnsPath } from "./_validate.ts";
import { CommandError, EXIT_TIMED_OUT, type Runner } from "./runner.ts";
import { type Daemon, signalPid, spawnDaemon, stopPid } from "./process.ts";

/** Marks hook output lines on udhcpc's stdout (one-shot mode), so log lines never parse as events. */
const EVENT_MARKER = "EVE-DHCP-EVENT ";
/** The hook appends JSON lines here instead of stdout when set (long-running mode). */
const EVENT_FILE_ENV = "EVE_DHCP_EVENT_FILE";

/**
 * The hook: prints one JSON object per event. Values come from a DHCP server we do not
 * trust, so each is stripped to a safe character set before it is put between quotes;
 * the TypeScript side then validates every field with a schema.
 */
export const UDHCPC_HOOK_SCRIPT = `#!/bin/sh
# Written by eve-cni. Reports udhcpc events ($1 = deconfig|bound|renew|leasefail|nak) as
# one JSON line; it deliberately does not configure the interface.
clean() { printf '%s' "$1" | tr -cd 'A-Za-z0-9.:/ _-'; }
line=$(printf '{"event":"%s","interface":"%s","ip":"%s","mask":"%s","subnet":"%s","router":"%s","dns":"%s","domain":"%s","staticroutes":"%s","lease":"%s","serverid":"%s","time":"%s"}' \\
  "$(clean "$1")" "$(clean "$interface")" "$(clean "$ip")" "$(clean "$mask")" \\
  "$(clean "$subnet")" "$(clean "$router")" "$(clean "$dns")" "$(clean "$domain")" \\
  "$(clean "$staticroutes")" "$(clean "$lease")" "$(clean "$serverid")" "$(date +%s)")
if [ -n "$${EVENT_FILE_ENV}" ]; then
  printf '%s\\n' "$line" >>"$${EVENT_FILE_ENV}"
else
  printf '${EVENT_MARKER}%s\\n' "$line"
fi
exit 0
`;

/**
 * Writes the hook script (mode 0755) atomically: concurrent CNI invocations may run it
 * while another rewrites it, so a reader must never see a half-written file.
 */
export async function writeUdhcpcHookScript(path: string): Promise<void> {
  checkAbsPath(path, "hook script path");
  const current = await Deno.readTextFile(path).catch(() => undefined);
  if (current === UDHCPC_HOOK_SCRIPT) return;
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const temp = await Deno.makeTempFile({ dir, prefix: ".udhcpc-hook-" });
  try {
    await Deno.writeTextFile(temp, UDHCPC_HOOK_SCRIPT);
    await Deno.chmod(temp, 0o755);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

const DhcpEventSchema = v.object({
  event: v.string(),
  interface: v.string(),
  ip: v.string(),
  mask: v.string(),
  subnet: v.string(),
  router: v.string(),
  dns: v.string(),
  domain: v.string(),
  staticroutes: v.string(),
  lease: v.string(),
  serverid: v.string(),
  time: v.string(),
});
/** One hook invocation as udhcpc reported it (raw strings, "" when udhcpc gave none). */
export type DhcpEvent = v.InferOutput<typeof DhcpEventSchema>;

export interface Lease {
  /** `10.11.12.5/24` */
  address: string;
  /** First router (option 3), null when the server sent none. */
  gateway: string | null;
  /** Option 121 classless static routes; `0.0.0.0/0` is a default route. */
  routes: { dst: string; via: string }[];
  dns: string[];
  domain: string | null;
  leaseSeconds: number;
  serverId: string | null;
  /** ISO time when the hook saw the lease. */
  obtainedAt: string;
}

/** Turns a `bound`/`renew` event into a validated Lease. */
export function leaseFromEvent(event: DhcpEvent): Lease {
  if (event.event !== "bound" && event.event !== "renew") {
    throw new Error(`Cannot read a lease from a "${event.event}" event`);
  }
  const ip = checked(IpSchema, event.ip, "leased address");
  const prefix = event.mask !== ""
    ? Number(event.mask)
    : ipaddr.IPv4.parse(checked(IpSchema, event.subnet, "leased subnet mask"))
      .prefixLengthFromSubnetMask();
  if (prefix === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Error(`Invalid lease mask "${event.mask || event.subnet}"`);
  }
  const words = (s: string) => s.split(/\s+/).filter((w) => w !== "");
  const routerList = words(event.router).map((r) => checked(IpSchema, r, "router"));
  const staticWords = words(event.staticroutes);
  if (staticWords.length % 2 !== 0) {
    throw new Error(`Invalid classless static routes "${event.staticroutes}"`);
  }
  const routes: Lease["routes"] = [];
  for (let i = 0; i < staticWords.length; i += 2) {
    routes.push({
      dst: checked(CidrSchema, staticWords[i], "static route destination"),
      via: checked(IpSchema, staticWords[i + 1], "static route gateway"),
    });
  }
  const leaseSeconds = Number(event.lease);
  const time = Number(event.time);
  return {
    address: checked(CidrSchema, `${ip}/${prefix}`, "leased address"),
    gateway: routerList[0] ?? null,
    routes,
    dns: words(event.dns).map((d) => checked(IpSchema, d, "DNS server")),
    domain: event.domain === "" ? null : event.domain,
    leaseSeconds: Number.isFinite(leaseSeconds) ? leaseSeconds : 0,
    serverId: event.serverid === "" ? null : checked(IpSchema, event.serverid, "server id"),
    obtainedAt: new Date(Number.isFinite(time) && time > 0 ? time * 1000 : Date.now())
      .toISOString(),
  };
}

/** Parses hook lines (JSON, optionally behind the stdout marker); other lines are skipped. */
export function parseDhcpEvents(text: string): DhcpEvent[] {
  const events: DhcpEvent[] = [];
  for (const rawLine of text.split("\n")) {
    const line = rawLine.startsWith(EVENT_MARKER) ? rawLine.slice(EVENT_MARKER.length) : rawLine;
    if (!line.startsWith("{")) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue; // A torn line from a crash mid-write: ignore rather than fail every reader.
    }
    const parsed = v.safeParse(DhcpEventSchema, json);
    if (parsed.success) events.push(parsed.output);
  }
  return events;
}

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
export function startDhcpClient(options: DhcpClientOptions): Promise<Daemon> {
  const argv = udhcpcArgv(options, [
    "-R",
    "-p",
    checkAbsPath(options.pidFile, "pid file path"),
  ]);
  const eventFile = checkAbsPath(options.eventFile, "event file path");
  return Promise.resolve(spawnDaemon(argv, { detach: true, env: { [EVENT_FILE_ENV]: eventFile } }));
}

/** Events the hook appended so far (missing file = none). */
export async function readDhcpEvents(eventFile: string): Promise<DhcpEvent[]> {
  try {
    return parseDhcpEvents(await Deno.readTextFile(eventFile));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Polls the event file until an event after the first `skip` ones matches; undefined on timeout. */
export async function waitForDhcpEvent(
  eventFile: string,
  match: (event: DhcpEvent) => boolean,
  options: { skip?: number; timeoutMs: number },
): Promise<DhcpEvent | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const found = (await readDhcpEvents(eventFile)).slice(options.skip ?? 0).find(match);
    if (found || Date.now() >= deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
