/**
 * The `routingPolicy` block as steps of eve-bridge's commands, for eth0 (eth0.ts) and for a
 * network instance's interface (pod_interface.ts, lease_follow.ts, detach.ts, pod_check.ts):
 *
 * - up front, before ADD creates anything: the checks that need only the interface's name;
 * - ADD, once the interface has its address: apply, with its own undo (release);
 * - DEL and GC: release whatever a record says, config or not (the record is the truth);
 * - CHECK: the record against the kernel, when the config asks for a policy.
 *
 * Nothing runs, and nothing but this file and the schema is loaded, when the config has no
 * `routingPolicy` and no record exists: the policy's modules are imported on first use, so
 * the commands that do not need them (VERSION above all) do not pay for evaluating them.
 */
import type { LeaseRecord, RoutingRecord, TableRoute } from "../../core/eve/mod.ts";
import { entryExistsSync } from "../../core/mod.ts";
import { leaseRoutes } from "./l3_request.ts";
import type { Runner } from "../../netns/mod.ts";
import type { CniInterface, CniLogger, CniResult, UndoStack } from "../cni/mod.ts";
import type { EveContext } from "./handler.ts";
import { checkRoutingPolicy as checkConfig } from "./routing_policy_resolve.ts";

/**
 * The node's end of a pod interface's link in its CNI result: bridge's and zedrouter's
 * results both list the bridge first, then the host veth, then the pod's interface.
 */
export function hostEndOf(result: { interfaces: readonly CniInterface[] }): string | null {
  return result.interfaces.find((i) => i.sandbox === undefined)?.name ?? null;
}

/** The result with the MAC macPrefix gave the pod interface (null: unchanged). */
export function withInterfaceMac(result: CniResult, ifname: string, mac: string | null): CniResult {
  if (mac === null) return result;
  return {
    ...result,
    interfaces: result.interfaces.map((i) =>
      i.name === ifname && i.sandbox !== undefined ? { ...i, mac } : i
    ),
  };
}

/** Before ADD creates anything: code 7 naming the field when the block cannot apply here. */
export function checkRoutingPolicyConfig(ctx: EveContext): void {
  if (ctx.config.routingPolicy) checkConfig(ctx.config.routingPolicy, ctx.ifname);
}

/**
 * ADD: applies the config's policy to `ctx.ifname` (its address is in place), registering
 * the release first. `hostEnd` is the bridge of the interface's result; `lease` the NI
 * interface's DHCP lease (null: L2 only, nothing to route), absent for eth0. Undefined
 * without a `routingPolicy` block or for an L2-only interface.
 */
export async function addRoutingPolicy(
  runner: Runner,
  ctx: EveContext,
  undo: UndoStack,
  where: { hostEnd: string | null; lease?: LeaseRecord | null },
): Promise<RoutingRecord | undefined> {
  const policy = ctx.config.routingPolicy;
  if (!policy) return undefined;
  if (where.lease === null) {
    // No address in the pod (a VMI's guest has it, or the NI has no DHCP): nothing to route.
    ctx.logger.info("Routing policy of {ifname} not applied: the interface is L2 only");
    return undefined;
  }
  const { applyRoutingPolicy, recordPathOf } = await import("./routing_policy_step.ts");
  const { releaseRoutingPolicy } = await import("./routing_policy_release.ts");
  const target = {
    stateDir: ctx.config.stateDir,
    containerId: ctx.containerId,
    ifname: ctx.ifname,
    network: ctx.config.name,
    netnsPath: ctx.netns,
    podName: ctx.args.podName ?? "",
    hostEnd: where.hostEnd,
  };
  undo.push(
    "release routing policy",
    () => releaseRoutingPolicy(runner, recordPathOf(target), ctx.logger),
  );
  const routes = where.lease ? tableRoutesOf(where.lease) : [];
  return await applyRoutingPolicy(runner, target, policy, routes, ctx.logger);
}

/** The routes a lease asks for, as the interface's table should hold them. */
function tableRoutesOf(lease: LeaseRecord): TableRoute[] {
  return leaseRoutes(lease).map((r) => ({
    dst: r.dst === null || r.dst === "0.0.0.0/0" ? "default" : r.dst,
    gateway: r.gw,
  }));
}

/** DEL (and GC of one attachment): releases the policy recorded at `path`, if any. */
export async function releaseRecordedPolicy(
  runner: Runner,
  path: string,
  logger: CniLogger,
): Promise<void> {
  if (!entryExistsSync(path)) return;
  const { releaseRoutingPolicy } = await import("./routing_policy_release.ts");
  await releaseRoutingPolicy(runner, path, logger);
}

/** CHECK: when the config asks for a policy, the kernel must still hold the recorded one. */
export async function checkAppliedPolicy(runner: Runner, ctx: EveContext): Promise<void> {
  if (!ctx.config.routingPolicy) return;
  const { checkRoutingPolicy } = await import("./routing_policy_check.ts");
  await checkRoutingPolicy(runner, {
    stateDir: ctx.config.stateDir,
    containerId: ctx.containerId,
    ifname: ctx.ifname,
  });
}

/** A renewal moved the address to `lease`'s: re-applies the policy recorded at `path`, if any. */
export async function followRoutingPolicy(
  runner: Runner,
  path: string,
  lease: LeaseRecord,
  logger: CniLogger,
): Promise<boolean> {
  if (!entryExistsSync(path)) return false;
  const { reapplyRoutingPolicy } = await import("./routing_policy_step.ts");
  return await reapplyRoutingPolicy(runner, path, lease.address, tableRoutesOf(lease), logger);
}

/** GC: releases the records of this network whose attachment is not in the valid list. */
export async function gcRoutingPolicies(
  runner: Runner,
  stateDir: string,
  network: string,
  valid: readonly { containerID: string; ifname: string }[],
  logger: CniLogger,
): Promise<string[]> {
  const { gcRoutingRecords } = await import("./routing_policy_release.ts");
  const keep = new Set(valid.map((a) => `${a.containerID}\0${a.ifname}`));
  return await gcRoutingRecords(runner, stateDir, network, keep, logger);
}
