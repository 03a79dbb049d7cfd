/**
 * Taking a pod interface apart, for DEL, GC and ADD's rollback. Order matters: the lease is
 * released FIRST, while the pod interface still exists and carries the address (DHCPRELEASE
 * is a unicast from the leased address; without it the server keeps the lease until it
 * expires), THEN zedrouter removes the veth (DisconnectPod), THEN the state goes.
 *
 * zedrouter unreachable with state on record: the lease is released locally, the state is
 * kept (minus the client) and the error (code 11) goes to the runtime, whose retry then
 * disconnects. Without state there is nothing we attached, so zedrouter is asked only
 * best-effort (an ADD that failed before L2 must not make its DEL fail), and a lease of EVE's
 * Go plugin (the pod was attached before the upgrade) is released through the dhcp plugin.
 */
import { errorMessage, isoTime, ZERO_UUID } from "../../core/mod.ts";
import type { Runner } from "../../netns/mod.ts";
import type { CniLogger } from "../cni/mod.ts";
import { removeAttachmentFiles, writeState } from "./attachment_state.ts";
import type { AttachmentPaths, AttachmentState, DhcpClientRecord } from "../../core/eve/mod.ts";
import { type ClientEnd, clientOf, type GoPluginLease, releaseAttachmentDhcp } from "./dhcp/mod.ts";
import { type PodIdentity, podInterfaceOf, podOf } from "./pod_args.ts";
import { releaseRecordedPolicy } from "./routing_policy.ts";
import { withZedrouter, type ZedrouterSession } from "./zedrouter_session.ts";
import type { DisconnectPodArgs, DisconnectPodResult } from "../../rpc/mod.ts";

const ms = (since: number): number => Math.round(performance.now() - since);

/** What DEL and GC need to detach one attachment. */
export interface DetachTarget {
  readonly paths: AttachmentPaths;
  readonly state: AttachmentState | undefined;
  readonly ifname: string;
  /** From CNI_ARGS / CNI_NETNS, used when there is no state. */
  readonly fallback: PodIdentity;
  readonly zedrouterSocket: string;
  /** DEL without state: the lease EVE's Go plugin may hold (dhcp/go_plugin_lease.ts). */
  readonly goPluginLease?: GoPluginLease | undefined;
}

/**
 * DisconnectPod; for an attachment of the Go plugin's, its dhcp lease is released while the
 * veth still exists when CheckPodConnection says it uses DHCP, else after, if DisconnectPod's
 * UsedDHCP says so (see dhcp/go_plugin_lease.ts).
 */
async function disconnectPod(
  session: ZedrouterSession,
  args: DisconnectPodArgs,
  goLease: GoPluginLease | undefined,
): Promise<DisconnectPodResult> {
  let released = false;
  if (goLease) {
    // An attachment zedrouter no longer has (a repeated DEL) fails the check: nothing to do.
    const check = await session.call("RPCServer.CheckPodConnection", args, { quiet: true })
      .catch(() => undefined);
    if (check?.usesDHCP) {
      await goLease.release("before DisconnectPod");
      released = true;
    }
  }
  const reply = await session.call("RPCServer.DisconnectPod", args);
  if (goLease && reply.usedDHCP && !released) await goLease.release("after DisconnectPod");
  return reply;
}

/**
 * The lease's fate over both steps: our client's release, then what zedrouter says it did
 * with its own DHCP server's record (our fake-zedrouter drops what dnsmasq still holds for
 * the MAC; EVE's zedrouter says nothing, and ours stands). "released" only when ours went out.
 */
export function leaseOutcome(ours: string, server: string | undefined): string {
  if (ours === "released" || server === undefined) return ours;
  if (server === "released") return "released-by-zedrouter";
  // Ours went out (udhcpc had the address and exited after SIGUSR2) and the server agrees.
  if (server === "none" && ours === "release-unconfirmed") return "released";
  // Its server holds none: whatever we held is gone, by our unconfirmed release or expiry.
  if (server === "none" && ours === "stopped-without-release") return "gone-from-server";
  return ours;
}

function warnKept(logger: CniLogger, path: string, error: unknown): void {
  logger.warn("Cannot update {path}, left as is: {error}", { path, error: errorMessage(error) });
}

export async function detach(
  runner: Runner,
  target: DetachTarget,
  logger: CniLogger,
): Promise<void> {
  const started = performance.now();
  const { state } = target;
  // First what the routing policy put on the node; its failure fails DEL after the rest ran.
  const routingFailed = await releaseRecordedPolicy(runner, target.paths.routing, logger)
    .then(() => undefined, (error: unknown) => error);
  const client = await clientOf(target.paths, state);
  const { outcome: releaseOutcome, ended } = await releaseAttachmentDhcp(
    runner,
    client,
    state,
    logger,
    target.fallback.netnsPath,
  );
  // The release is out; a client SIGKILLed after it ends while zedrouter disconnects.
  try {
    await disconnectAndRemove(target, { client, releaseOutcome, ended }, started, logger);
  } finally {
    await ended();
  }
  if (routingFailed !== undefined) throw routingFailed;
}

/**
 * detach's steps after the release: the state without the client, DisconnectPod, then, once
 * the client has ended (its pid file is how a retry finds one that did not), the files.
 */
async function disconnectAndRemove(
  target: DetachTarget,
  released: { client: DhcpClientRecord | null; releaseOutcome: string; ended: ClientEnd },
  started: number,
  logger: CniLogger,
): Promise<void> {
  const { state } = target;
  const { client, releaseOutcome } = released;
  if (state?.dhcp) {
    // The client is stopped (SIGKILLed at worst, which nothing survives but a hung kernel, and
    // then `ended` fails DEL and a retry finds it by its pid file): a retried DEL need not look
    // for it again. Best effort, as DEL must finish in a read-only or full state dir.
    await writeState(target.paths.state, { ...state, dhcp: null, updatedAt: isoTime() })
      .catch((error) => warnKept(logger, target.paths.state, error));
  }
  const releaseMs = ms(started);
  const pod = podOf(state ?? target.fallback);
  const disconnectStarted = performance.now();
  let appUUID = ZERO_UUID;
  let serverLease: string | undefined;
  // Without state nor a pod name (GC of orphan files) there is no pod to name to zedrouter.
  if (state !== undefined || target.fallback.podName !== "") {
    // A lease of the Go plugin's is only possible where we hold none ourselves.
    const goLease = state === undefined && client === null ? target.goPluginLease : undefined;
    try {
      const reply = await withZedrouter(
        state?.zedrouterSocket ?? target.zedrouterSocket,
        logger,
        (session) =>
          disconnectPod(session, {
            pod,
            podInterface: podInterfaceOf(target.ifname, pod.netNsPath, null),
          }, goLease),
      );
      appUUID = reply.appUUID;
      serverLease = reply.dhcpLease;
    } catch (error) {
      if (state !== undefined) throw error; // state kept: the retry disconnects
      logger.warn("DisconnectPod without state failed, ignored: {error}", {
        error: errorMessage(error),
      });
    }
  }
  await released.ended();
  // Everything is released by now: files that cannot go (read-only state dir) are reported,
  // and DEL succeeds (CNI: DEL of what is gone succeeds); the runtime's retry could not
  // remove them either. A later DEL or GC finds them and has nothing left to undo.
  try {
    removeAttachmentFiles(target.paths);
  } catch (error) {
    warnKept(logger, target.paths.dir, error);
  }
  logger.info("Detached {ifname}", {
    appUUID,
    releaseOutcome: leaseOutcome(releaseOutcome, serverLease),
    ...(serverLease !== undefined && { zedrouterLease: serverLease }),
    releaseMs,
    disconnectMs: ms(disconnectStarted),
    totalMs: ms(started),
  });
}
