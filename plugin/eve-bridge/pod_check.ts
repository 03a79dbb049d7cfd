/**
 * CHECK of a pod interface (CNI 0.4.0+): zedrouter's own CheckPodConnection (it reads the
 * kernel too), then what eve-bridge owns: the pod end has the adapter's MAC, prevResult lists
 * the interface, and unless L2-only: the DHCP client runs, the lease has not expired, its
 * address is on the interface (read from the kernel) and is the one prevResult lists, or the
 * one a renewal moved the pod to.
 */
import { isoTime } from "../../core/mod.ts";
import { getLink, listAddrs, type Runner } from "../../netns/mod.ts";
import { CniError, CniErrorCode, type CniResult, EveErrorCode } from "../cni/mod.ts";
import { readState, withAttachmentLock } from "./attachment_state.ts";
import {
  attachmentPaths,
  type AttachmentState,
  isOurDhcpClient,
  type LeaseRecord,
} from "../../core/eve/mod.ts";
import { latestLease } from "./dhcp/mod.ts";
import type { EveContext } from "./handler.ts";
import { podInterfaceOf, podOf } from "./pod_args.ts";
import { checkAppliedPolicy } from "./routing_policy.ts";
import { withZedrouter } from "./zedrouter_session.ts";

function checkFailed(msg: string, details = ""): CniError {
  return new CniError(EveErrorCode.CheckFailed, msg, details);
}

export async function checkAttachment(runner: Runner, ctx: EveContext): Promise<void> {
  const paths = attachmentPaths(ctx.config.stateDir, ctx.containerId, ctx.ifname);
  await withAttachmentLock(paths, async () => {
    const state = await readState(paths.state);
    if (state === undefined || state.phase !== "ready") {
      throw new CniError(
        CniErrorCode.ContainerUnknown,
        `No attachment of "${ctx.ifname}" for container "${ctx.containerId}"`,
        `eve-bridge has no ready state at "${paths.state}"`,
      );
    }
    await withZedrouter(
      state.zedrouterSocket,
      ctx.logger,
      (session) =>
        session.call("RPCServer.CheckPodConnection", {
          pod: podOf(state),
          podInterface: podInterfaceOf(ctx.ifname, state.netnsPath, null),
        }),
    );
    const ourIndex = await checkInterface(runner, ctx, state);
    if (!state.useDHCP || state.vmi) return;
    const lease = await checkLease(runner, ctx, state);
    await checkAppliedPolicy(runner, ctx);
    if (ctx.prevResult) checkListedAddress(ctx, state, lease, ctx.prevResult, ourIndex);
  });
}

/**
 * The pod end exists with the adapter's MAC, and prevResult (if any) lists it with a
 * sandbox; returns its index there (-1 without prevResult).
 */
async function checkInterface(
  runner: Runner,
  ctx: EveContext,
  state: AttachmentState,
): Promise<number> {
  const link = await getLink(runner, { path: ctx.netns }, ctx.ifname);
  if (!link) throw checkFailed(`Interface "${ctx.ifname}" is missing in "${ctx.netns}"`);
  if (link.mac !== state.mac) {
    throw checkFailed(`Interface "${ctx.ifname}" has MAC "${link.mac}", expected "${state.mac}"`);
  }
  const prev = ctx.prevResult;
  const ourIndex =
    prev?.interfaces.findIndex((i) => i.name === ctx.ifname && i.sandbox !== undefined) ?? -1;
  if (prev && ourIndex < 0) {
    throw checkFailed(`prevResult lists no interface "${ctx.ifname}" with a sandbox`);
  }
  return ourIndex;
}

/** The DHCP client runs, its newest lease has not expired and its address is on the pod end. */
async function checkLease(
  runner: Runner,
  ctx: EveContext,
  state: AttachmentState,
): Promise<LeaseRecord> {
  if (state.dhcp === null || !isOurDhcpClient(state.dhcp, ctx.config.stateDir)) {
    throw checkFailed(
      `The DHCP client of "${ctx.ifname}" is not running`,
      `pid ${state.dhcp?.pid ?? "none"}; DEL and ADD the pod interface again`,
    );
  }
  const lease = (await latestLease(state.dhcp.eventFile)) ?? state.lease;
  if (lease === null) throw checkFailed(`No DHCP lease recorded for "${ctx.ifname}"`);
  const expires = Date.parse(lease.obtainedAt) + lease.leaseSeconds * 1000;
  if (lease.leaseSeconds > 0 && expires < Date.now()) {
    throw checkFailed(
      `The DHCP lease ${lease.address} of "${ctx.ifname}" expired at ${isoTime(expires)}`,
      "udhcpc did not renew it; check the network instance's DHCP server",
    );
  }
  const present = (await listAddrs(runner, { path: ctx.netns }, ctx.ifname)).map((a) => a.cidr);
  if (!present.includes(lease.address)) {
    throw checkFailed(
      `Address ${lease.address} is not on "${ctx.ifname}"`,
      `The interface has ${present.length ? present.join(", ") : "no address"}; to repair, ` +
        "renew the lease (SIGUSR1 to the DHCP client: the renewal puts the address back), or " +
        "delete the pod so it is attached again",
    );
  }
  return lease;
}

/** prevResult lists the lease's address for our interface, or a renewal moved it. */
function checkListedAddress(
  ctx: EveContext,
  state: AttachmentState,
  lease: LeaseRecord,
  prev: CniResult,
  ourIndex: number,
): void {
  const listed = prev.ips.filter((ip) => ip.interface === ourIndex).map((ip) => ip.address);
  if (listed.includes(lease.address)) return;
  // The pod follows its lease (dhcp/lease_follow.ts): when a renewal moved it and the move was
  // applied (the state records the new lease), the attachment is healthy and only the
  // runtime's cached result is stale. Failing CHECK for that would brand a working pod broken
  // for good, since runtimes never refresh that result; say it in the log instead.
  if (state.lease?.address === lease.address) {
    ctx.logger.warn(
      "Address of {ifname} moved from {from} to {to} with a DHCP renewal; the runtime's " +
        "recorded result is stale",
      { from: listed.join(", "), to: lease.address },
    );
    return;
  }
  throw checkFailed(
    `prevResult lists ${listed.length ? listed.join(", ") : "no address"} for "${ctx.ifname}"` +
      `, the lease is ${lease.address}`,
    "The address moved with a DHCP renewal; the runtime's recorded result is stale",
  );
}
