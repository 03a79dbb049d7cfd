/**
 * The routing-policy end of a chain: what eve-bridge's `routingPolicy` did for the pod
 * interface (its record) against the kernel, with the same check as eve-bridge's CHECK. A
 * chain gets this link only when the interface has a record. Pure.
 */
import { describeRoutingRecord, ETH0, routingProblems } from "../../core/eve/mod.ts";
import { type ChainLink, link, unknown } from "./chain_model.ts";
import type { RoutingEntry } from "./routing_facts.ts";
import type { Snapshot } from "./snapshot.ts";

/** The record of the pod interface in `netnsPath` named `ifname`, if it has one. */
export function routingEntryFor(
  s: Snapshot,
  netnsPath: string,
  ifname: string,
): RoutingEntry | undefined {
  return s.eveBridge.routing?.find((e) =>
    e.record.netnsPath === netnsPath && e.record.ifname === ifname
  );
}

/** [] without a record, else the one "routing-policy" link. */
export function routingLinks(entry: RoutingEntry | undefined): ChainLink[] {
  if (entry === undefined) return [];
  const detail = describeRoutingRecord(entry.record);
  if (entry.facts === null) {
    return [unknown("routing-policy", `${detail} (${entry.error ?? "kernel not read"})`)];
  }
  return [link("routing-policy", detail, routingProblems(entry.record, entry.facts))];
}

/** Routes the policy moved into the interface's own table (for the pod-interface link). */
export function movedRoutes(
  entry: RoutingEntry | undefined,
): { dst: string; gateway: string | null }[] {
  const facts = entry?.facts;
  const table = entry?.record.intent.table;
  if (!facts || table === null || table === undefined) return [];
  return facts.pod.routes.filter((r) => r.table === String(table) && r.dev === entry.record.ifname);
}

/** eth0's records: zedrouter knows nothing of eth0, so each is a chain of its own. */
export function eth0RoutingEntries(s: Snapshot): RoutingEntry[] {
  return (s.eveBridge.routing ?? []).filter((e) => e.record.ifname === ETH0);
}
