/**
 * CHECK of a routing policy: the record against the kernel (core/eve/routing_problems.ts,
 * the same check eve-cni-debug shows). A config with `routingPolicy` but no record means ADD
 * never applied it. Code 107 with the first problem as the message, all of them in details.
 */
import { readRoutingRecord, routingProblems } from "../../core/eve/mod.ts";
import { type Netns, readInterfaceView, type Runner } from "../../netns/mod.ts";
import { CniError, EveErrorCode } from "../cni/mod.ts";
import { podView, recordPathOf, type RoutingTarget } from "./routing_policy_step.ts";
import { readRpFilter } from "./routing_policy_rp_filter.ts";

export async function checkRoutingPolicy(
  runner: Runner,
  target: Pick<RoutingTarget, "stateDir" | "containerId" | "ifname">,
): Promise<void> {
  const path = recordPathOf(target);
  const record = await readRoutingRecord(path);
  if (record === undefined) {
    throw new CniError(
      EveErrorCode.CheckFailed,
      `The routing policy of "${target.ifname}" was never applied`,
      `The config has "routingPolicy" but there is no record at "${path}"; DEL and ADD again`,
    );
  }
  const ns: Netns = { path: record.netnsPath };
  const view = await podView(runner, ns, record.ifname, record);
  const rpFilter = record.intent.rpFilter === null
    ? null
    : await readRpFilter(runner, ns, record.ifname);
  const hostEnd = record.applied.hostNeighbours.length > 0 && record.hostEnd !== null
    ? await readInterfaceView(runner, undefined, record.hostEnd)
    : undefined;
  const problems = routingProblems(record, {
    pod: { ...view, rpFilter },
    hostNeighbours: record.applied.hostNeighbours.length > 0 ? hostEnd?.neighbours ?? [] : null,
  });
  if (problems.length > 0) {
    throw new CniError(
      EveErrorCode.CheckFailed,
      `Routing policy of "${record.ifname}": ${problems[0]}`,
      problems.join("; "),
    );
  }
}
