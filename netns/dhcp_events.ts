/**
 * What udhcpc learned, as our hook script reports it: the script itself, the event lines it
 * writes (stdout in one-shot mode, a JSON-lines file for a long-running client) and the
 * Lease read from a `bound`/`renew` event. No process is started here.
 */
import * as v from "valibot";
import ipaddr from "ipaddr.js";
import { CidrSchema, IpSchema, readTextFileIfExists, writeFileAtomic } from "../core/mod.ts";
import { checkAbsPath, checked } from "./_validate.ts";

/** Marks hook output lines on udhcpc's stdout (one-shot mode), so log lines never parse as events. */
export const EVENT_MARKER = "EVE-DHCP-EVENT ";
/** The hook appends JSON lines here instead of stdout when set (long-running mode). */
export const EVENT_FILE_ENV = "EVE_DHCP_EVENT_FILE";

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
# A failed write (disk full) is this script's exit status: the caller can make room and retry.
if [ -n "$${EVENT_FILE_ENV}" ]; then
  printf '%s\\n' "$line" >>"$${EVENT_FILE_ENV}" || exit 1
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

/** Events the hook appended so far (missing file = none). */
export async function readDhcpEvents(eventFile: string): Promise<DhcpEvent[]> {
  const text = await readTextFileIfExists(eventFile);
  return text === undefined ? [] : parseDhcpEvents(text);
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
