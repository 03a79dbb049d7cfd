/**
 * A lease whose udhcpc is gone (killed, crashed, OOM) while it held it: nobody renews it, but
 * dnsmasq keeps it until it expires, and busybox only releases from a live client. So DEL
 * gives it back with a short-lived client of its own (netns/udhcpc.ts releaseLease: it asks
 * for the same address again, then sends DHCPRELEASE from it), after putting the address on
 * the interface (the release is a unicast from it). The lease is known from the dead client's
 * events (client_process.ts heldLease); the client id is udhcpc's default (01 + MAC), the one
 * the dead client used, so the server matches it to its lease.
 */
import { errorMessage } from "../../../core/mod.ts";
import {
  addAddr,
  type DhcpEvent,
  leaseFromEvent,
  type Netns,
  readDhcpEvents,
  releaseLease,
  type Runner,
} from "../../../netns/mod.ts";
import type { AttachmentState, DhcpClientRecord } from "../../../core/eve/mod.ts";
import { HOOK_SCRIPT_NAME, REPORT_SCRIPT_NAME, verifyHook } from "./hook.ts";

/** The state dir a client's files are in: its hook's directory, else its pid file's parent's. */
function stateDirOf(client: DhcpClientRecord): string {
  const from = client.hookScript !== "" ? client.hookScript : client.pidFile;
  const parts = from.split("/");
  return parts.slice(0, client.hookScript !== "" ? -1 : -2).join("/");
}

/** Puts the lease's address on its interface; the reason when it cannot be. */
export async function ensureLeasedAddress(
  runner: Runner,
  ns: Netns,
  ifname: string,
  held: DhcpEvent,
): Promise<string | undefined> {
  try {
    const lease = leaseFromEvent(held);
    await addAddr(runner, ns, ifname, lease.address, { ignoreExists: true });
    return undefined;
  } catch (error) {
    return `cannot put ${held.ip} on "${ifname}" to send the release from: ` +
      errorMessage(error);
  }
}

/**
 * Releases the lease a gone client held; undefined when it held none, else whether the
 * release went out and, when not, why. `netnsPath`: the pod's, from the state or the DEL.
 */
export async function releaseOrphanLease(
  runner: Runner,
  client: DhcpClientRecord,
  state: AttachmentState | undefined,
  netnsPath: string | undefined,
  heldLease: (events: readonly DhcpEvent[]) => DhcpEvent | undefined,
): Promise<{ released: boolean; reason?: string } | undefined> {
  const held = heldLease(await readDhcpEvents(client.eventFile).catch(() => []));
  if (held === undefined) return undefined;
  const path = state?.netnsPath ?? netnsPath;
  if (path === undefined || path === "") {
    return { released: false, reason: "its udhcpc is gone and the pod's netns is unknown" };
  }
  const ifname = state?.ifname ?? held.interface;
  const cannot = await ensureLeasedAddress(runner, { path }, ifname, held);
  if (cannot !== undefined) return { released: false, reason: `its udhcpc is gone; ${cannot}` };
  try {
    // The new client runs the report script as root: it must be ours first (hook.ts).
    await verifyHook(`${stateDirOf(client)}/${HOOK_SCRIPT_NAME}`);
    const released = await releaseLease({
      netnsPath: path,
      ifname,
      scriptPath: `${stateDirOf(client)}/${REPORT_SCRIPT_NAME}`,
      address: held.ip,
      timeoutMs: 5000,
    });
    return released
      ? { released }
      : { released, reason: "its udhcpc is gone and the server did not answer a new one" };
  } catch (error) {
    return { released: false, reason: `its udhcpc is gone; ${errorMessage(error)}` };
  }
}
