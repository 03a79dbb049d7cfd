/**
 * DisconnectPod's last word on DHCP: whatever lease a local NI's dnsmasq still holds for the
 * app adapter's MAC is dropped, so a DEL that could not release it from the pod (eve-bridge
 * SIGKILLed, its udhcpc killed, the pod's netns deleted before DEL) leaks nothing.
 *
 * How: Debian's `dhcp_release` (dnsmasq-utils), run as an argv in our own netns, where dnsmasq
 * runs. It sends dnsmasq a DHCPRELEASE for (ip, MAC, client id) on the bridge, which dnsmasq
 * honours as the client's own; dnsmasq then rewrites its lease file, which is how the drop is
 * confirmed. Sending the packet ourselves would need SO_BINDTODEVICE (dnsmasq takes the
 * arrival interface from it), which Deno's sockets do not offer. A spawn costs native memory
 * (issue 12), but only a lease eve-bridge could not release reaches it: the lease file is read
 * first and the common DEL, whose release already went out, spawns nothing.
 */
import * as v from "valibot";
import { errorMessage, sleep } from "../../core/mod.ts";
import { readDnsmasqLeases, type Runner } from "../../netns/mod.ts";

/** dnsmasq's lease file writes a client id as colon-separated hex bytes. */
const ClientIdSchema = v.pipe(v.string(), v.regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){0,254}$/i));

/** "released": held and now gone from the lease file; "none": none held; "kept": still held. */
export type LeaseDropOutcome = "released" | "none" | "kept";

export interface LeaseDrop {
  readonly outcome: LeaseDropOutcome;
  /** The addresses that were held for the MAC. */
  readonly ips: readonly string[];
  /** Why a held lease is still there ("kept"). */
  readonly reason?: string;
}

export interface LeaseDropTarget {
  readonly leaseFile: string;
  /** The NI's bridge, where dnsmasq serves the adapter. */
  readonly bridge: string;
  readonly mac: string;
}

const CONFIRM_POLL_MS = 10;

async function heldIps(leaseFile: string, mac: string): Promise<string[]> {
  return (await readDnsmasqLeases(leaseFile)).filter((l) => l.mac === mac).map((l) => l.ip);
}

/**
 * Whether dnsmasq's lease file stops holding a lease for `mac` within `timeoutMs`: none on two
 * reads in a row (dnsmasq rewrites the file in place: one read can fall between its truncate
 * and its write). Also apply's DHCP probe's check that its release went through.
 */
export async function leaseGoneWithin(
  leaseFile: string,
  mac: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let emptyReads = 0;
  while (emptyReads < 2) {
    emptyReads = (await heldIps(leaseFile, mac)).length === 0 ? emptyReads + 1 : 0;
    if (emptyReads < 2 && Date.now() >= deadline) return false;
    if (emptyReads < 2) await sleep(CONFIRM_POLL_MS);
  }
  return true;
}

/** Drops every lease dnsmasq holds for `target.mac`; never throws (DisconnectPod goes on). */
export async function dropNiLease(
  runner: Runner,
  target: LeaseDropTarget,
  options: { confirmMs?: number } = {},
): Promise<LeaseDrop> {
  const leases = (await readDnsmasqLeases(target.leaseFile).catch(() => []))
    .filter((l) => l.mac === target.mac);
  const ips = leases.map((l) => l.ip);
  if (leases.length === 0) return { outcome: "none", ips };
  for (const lease of leases) {
    // MAC and IP are schema-checked by the lease file's parser; the client id is checked here.
    const clientId = lease.clientId !== null && v.is(ClientIdSchema, lease.clientId)
      ? [lease.clientId]
      : [];
    const argv = ["dhcp_release", target.bridge, lease.ip, lease.mac, ...clientId];
    const result = await runner(argv, { timeoutMs: 2000 }).catch((error: unknown) => ({
      code: -1,
      stdout: "",
      stderr: errorMessage(error),
    }));
    if (result.code !== 0) {
      const reason = `dhcp_release exited ${result.code}: ${result.stderr.trim()}`;
      return { outcome: "kept", ips, reason };
    }
  }
  return await leaseGoneWithin(target.leaseFile, target.mac, options.confirmMs ?? 1000)
    ? { outcome: "released", ips }
    : { outcome: "kept", ips, reason: "dnsmasq still lists it after the DHCPRELEASE" };
}
