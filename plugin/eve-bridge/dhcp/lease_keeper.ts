/**
 * The lease of a pod interface lives as long as the pod: ADD starts a long-running udhcpc in
 * the pod netns (it renews by itself) and waits for its first lease; DEL releases it. Between
 * the two, the hook reports every event into the attachment's event file (see hook.ts).
 *
 * The first lease is bounded by the config: up to `timeoutSeconds` per attempt, `retries`
 * more attempts, each started at once with SIGUSR1 (udhcpc would otherwise sleep 20 s after a
 * failed round); a client that exits (bad netns, interface gone) fails at once.
 */
import * as v from "valibot";
import {
  type DirectoryWake,
  errorMessage,
  parentDirectory,
  watchDirectory,
} from "../../../core/mod.ts";
import {
  type DhcpEvent,
  leaseFromEvent,
  readDhcpEvents,
  renewDhcpClient,
  startDhcpClient,
} from "../../../netns/mod.ts";
import { CniError, type CniLogger, EveErrorCode } from "../../cni/mod.ts";
import type { AttachmentPaths, DhcpClientRecord, LeaseRecord } from "../../../core/eve/mod.ts";
import { LeaseRecordSchema, readProcessFacts } from "../../../core/eve/mod.ts";
import type { DhcpConfig } from "../config.ts";

// While ADD waits, the event file is read when its directory changes (core/dir_wake.ts:
// inotify wakes it within a millisecond of udhcpc's `bound`, where a 10 ms poll averaged 5 ms
// late, and a 50 ms one 25 ms), and at least this often whatever inotify says.
const FALLBACK_POLL_MS = 100;

export function leaseOf(event: DhcpEvent): LeaseRecord {
  return v.parse(LeaseRecordSchema, leaseFromEvent(event));
}

/** The newest lease the hook reported after the first `skip` events, if any. */
export async function latestLease(eventFile: string, skip = 0): Promise<LeaseRecord | undefined> {
  const events = (await readDhcpEvents(eventFile)).slice(skip);
  const last = events.filter((e) => e.event === "bound" || e.event === "renew").at(-1);
  return last === undefined ? undefined : leaseOf(last);
}

export interface StartedClient {
  readonly record: DhcpClientRecord;
  /** Resolves when the process exits (only meaningful while this invocation runs). */
  readonly exited: Promise<unknown>;
}

/** Starts the long-running client for the attachment (hook already installed). */
export async function startLeaseClient(
  paths: AttachmentPaths,
  netnsPath: string,
  ifname: string,
  hookScript: string,
): Promise<StartedClient> {
  // A stale event file from an earlier life of this attachment must not look like a lease.
  // Synchronous: an async remove is a trip to Deno's blocking pool each, on every ADD.
  for (const stale of [paths.events, paths.pid]) {
    try {
      Deno.removeSync(stale);
    } catch {
      // None yet: the common case.
    }
  }
  const daemon = await startDhcpClient({
    netnsPath,
    ifname,
    scriptPath: hookScript,
    eventFile: paths.events,
    pidFile: paths.pid,
  });
  // Read at once: exec (nsenter -> udhcpc) keeps the pid and the start time.
  const startTime = readProcessFacts(daemon.pid)?.startTime;
  return {
    record: {
      pid: daemon.pid,
      ...(startTime !== undefined && startTime >= 0 && { startTime }),
      eventFile: paths.events,
      pidFile: paths.pid,
      hookScript,
    },
    exited: daemon.exited,
  };
}

/** Waits for the client's first lease within the configured bounds. */
export async function waitFirstLease(
  client: StartedClient,
  dhcp: DhcpConfig,
  ifname: string,
  logger: CniLogger,
): Promise<LeaseRecord> {
  let exited = false;
  client.exited.then(() => exited = true, () => exited = true);
  const attempts = dhcp.retries + 1;
  // Woken by the hook's append to the event file (inotify on its directory), not by polling.
  const wake = watchDirectory(parentDirectory(client.record.eventFile));
  try {
    return await waitAttempts(client, dhcp, ifname, logger, {
      attempts,
      wake,
      exited: () => exited,
    });
  } finally {
    wake.close();
  }
}

async function waitAttempts(
  client: StartedClient,
  dhcp: DhcpConfig,
  ifname: string,
  logger: CniLogger,
  o: { attempts: number; wake: DirectoryWake; exited: () => boolean },
): Promise<LeaseRecord> {
  const { attempts } = o;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const deadline = Date.now() + dhcp.timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      let lease: LeaseRecord | undefined;
      try {
        lease = await latestLease(client.record.eventFile);
      } catch (error) {
        throw new CniError(
          EveErrorCode.DhcpFailed,
          `The DHCP server's answer on "${ifname}" is not a usable lease`,
          errorMessage(error),
        );
      }
      if (lease) return lease;
      if (o.exited()) {
        throw new CniError(
          EveErrorCode.DhcpFailed,
          `udhcpc exited before it obtained a lease on "${ifname}"`,
          "Check that udhcpc and nsenter are installed and the pod namespace still exists",
        );
      }
      await Promise.race([
        o.wake.wait(Math.min(deadline - Date.now(), FALLBACK_POLL_MS)),
        client.exited.then(() => {}, () => {}),
      ]);
    }
    if (attempt < attempts) {
      logger.warn("No DHCP lease on {ifname} after {seconds} s; retrying ({attempt}/{retries})", {
        seconds: dhcp.timeoutSeconds,
        attempt,
        retries: dhcp.retries,
      });
      renewDhcpClient(client.record.pid);
    }
  }
  throw new CniError(
    EveErrorCode.DhcpFailed,
    `No DHCP lease on "${ifname}" within ${attempts} attempt(s) of ${dhcp.timeoutSeconds} s`,
    "Check the network instance's DHCP server (dnsmasq) and the app's reservation, or raise " +
      '"dhcp.timeoutSeconds" / "dhcp.retries" in the config',
  );
}

/** Whether two leases put the pod at the same place (address, gateway and routes). */
export function sameAddressing(a: LeaseRecord, b: LeaseRecord): boolean {
  return a.address === b.address && a.gateway === b.gateway &&
    JSON.stringify(a.routes) === JSON.stringify(b.routes);
}
