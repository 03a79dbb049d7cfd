/**
 * What udhcpc learned, as our hook script reports it: the script itself, the event lines it
 * writes (stdout in one-shot mode, a JSON-lines file for a long-running client) and the
 * Lease read from a `bound`/`renew` event. No process is started here.
 */
import * as v from "valibot";
import ipaddr from "ipaddr.js";
import {
  CidrSchema,
  IpSchema,
  isoTime,
  parentDirectory,
  readTextFileIfExists,
  watchDirectory,
  writeFileAtomic,
} from "../core/mod.ts";
import { checkAbsPath, checked } from "./_validate.ts";

/** Marks hook output lines on udhcpc's stdout (one-shot mode), so log lines never parse as events. */
export const EVENT_MARKER = "EVE-DHCP-EVENT ";
/** The hook appends JSON lines here instead of stdout when set (long-running mode). */
export const EVENT_FILE_ENV = "EVE_DHCP_EVENT_FILE";

/**
 * The hook: prints one JSON object per event. Values come from a DHCP server we do not
 * trust, so each is stripped to a safe character set before it is put between quotes;
 * the TypeScript side then validates every field with a schema.
 *
 * sh builtins only (no `$(...)`, no pipes, no `tr`): udhcpc waits for the hook, and runs
 * `deconfig` before every DISCOVER, so each fork there delays the lease (issue 11 measured
 * 31 ms for the 11 `$(printf|tr)` and the `date` it had). sh has no clock of its own, so an
 * event that is not `deconfig` carries the boot clock read from /proc/uptime by `read` (a
 * builtin; `date` was a fork and exec on every lease), which eventTime turns into a wall-clock
 * time; old lines with an epoch `time` are still read. A value with
 * no character outside the set (the usual case) is kept as it is; only one with others is
 * walked character by character. No `exit`: eve-bridge's hook (plugin/eve-bridge/dhcp/
 * hook.ts) sources this script and goes on.
 */
export const UDHCPC_HOOK_SCRIPT = `#!/bin/sh
# Written by eve-cni. Reports udhcpc events ($1 = deconfig|bound|renew|leasefail|nak) as
# one JSON line; it deliberately does not configure the interface. Builtins only, as udhcpc
# waits for it: clean() keeps the characters A-Za-z0-9.:/ _- of a value (in $c).
ok='A-Za-z0-9.:/ _-'
clean() {
  c=$1
  case $c in *[!$ok]*) ;; *) return 0 ;; esac
  s=$c
  c=
  while [ -n "$s" ]; do
    t=\${s#?}
    h=\${s%"$t"}
    s=$t
    case $h in [$ok]) c=$c$h ;; esac
  done
}
clean "$1"; e=$c; clean "$interface"; i=$c; clean "$ip"; a=$c; clean "$mask"; m=$c
clean "$subnet"; n=$c; clean "$router"; r=$c; clean "$dns"; d=$c; clean "$domain"; o=$c
clean "$staticroutes"; sr=$c; clean "$lease"; l=$c; clean "$serverid"; sv=$c
up=
[ "$1" = deconfig ] || { read -r up _ </proc/uptime; } 2>/dev/null
clean "$up"; up=$c
f='{"event":"%s","interface":"%s","ip":"%s","mask":"%s","subnet":"%s","router":"%s","dns":"%s","domain":"%s","staticroutes":"%s","lease":"%s","serverid":"%s","time":"","uptime":"%s"}'
if [ -n "$${EVENT_FILE_ENV}" ]; then
  printf "$f\\n" "$e" "$i" "$a" "$m" "$n" "$r" "$d" "$o" "$sr" "$l" "$sv" "$up" >>"$${EVENT_FILE_ENV}"
else
  printf "${EVENT_MARKER}$f\\n" "$e" "$i" "$a" "$m" "$n" "$r" "$d" "$o" "$sr" "$l" "$sv" "$up"
fi
`;

/**
 * Writes the hook script (mode 0755) atomically: concurrent CNI invocations may run it
 * while another rewrites it, so a reader must never see a half-written file.
 */
export async function writeUdhcpcHookScript(path: string): Promise<void> {
  checkAbsPath(path, "hook script path");
  await writeFileAtomic(path, UDHCPC_HOOK_SCRIPT, { mode: 0o755, onlyIfChanged: true });
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
  /** Seconds since the epoch (hooks before the boot clock); "" otherwise. */
  time: v.string(),
  /** The boot clock (/proc/uptime's first number) when the hook ran; "" for old lines. */
  uptime: v.optional(v.string(), ""),
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
  return {
    address: checked(CidrSchema, `${ip}/${prefix}`, "leased address"),
    gateway: routerList[0] ?? null,
    routes,
    dns: words(event.dns).map((d) => checked(IpSchema, d, "DNS server")),
    domain: event.domain === "" ? null : event.domain,
    leaseSeconds: Number.isFinite(leaseSeconds) ? leaseSeconds : 0,
    serverId: event.serverid === "" ? null : checked(IpSchema, event.serverid, "server id"),
    obtainedAt: isoTime(eventTime(event)),
  };
}

/** The boot clock now (seconds), as the hook reads it; undefined when /proc says nothing. */
function uptimeSeconds(): number | undefined {
  try {
    const seconds = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}

/** When the hook saw the event (ms since the epoch); now when the line cannot say. */
function eventTime(event: DhcpEvent): number {
  const epoch = Number(event.time);
  if (event.time !== "" && Number.isFinite(epoch) && epoch > 0) return epoch * 1000;
  const then = Number(event.uptime);
  const now = event.uptime === "" || !Number.isFinite(then) ? undefined : uptimeSeconds();
  return now === undefined ? Date.now() : Date.now() - Math.max(0, now - then) * 1000;
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

/** Events the hook appended so far (missing file = none). */
export async function readDhcpEvents(eventFile: string): Promise<DhcpEvent[]> {
  const text = await readTextFileIfExists(eventFile);
  return text === undefined ? [] : parseDhcpEvents(text);
}

/** Re-reads the event file at least this often, inotify or not (core/dir_wake.ts). */
const FALLBACK_POLL_MS = 100;

/**
 * Waits until an event after the first `skip` ones matches (woken by the file's directory
 * changing); undefined on timeout.
 */
export async function waitForDhcpEvent(
  eventFile: string,
  match: (event: DhcpEvent) => boolean,
  options: { skip?: number; timeoutMs: number },
): Promise<DhcpEvent | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  // Watching before the first read: an event written in between still wakes the wait.
  const wake = watchDirectory(parentDirectory(eventFile));
  try {
    for (;;) {
      const found = (await readDhcpEvents(eventFile)).slice(options.skip ?? 0).find(match);
      const left = deadline - Date.now();
      if (found || left <= 0) return found;
      await wake.wait(Math.min(left, FALLBACK_POLL_MS));
    }
  } finally {
    wake.close();
  }
}
