/**
 * Declarative apply with probe and rollback (kubernetes-nmstate's way, for fake-zedrouter's
 * config): the new config's NIs are made, the config is swapped in and dnsmasq follows; then
 * each added or changed NI is probed (apply_probe.ts; a local NI's dnsmasq must answer a
 * real DHCP request, apply_dhcp_probe.ts). Only when every probe passes is what
 * the new config dropped detached and removed. Otherwise the previous config goes back: NIs
 * only the new one had are removed, the previous ones made again; attachments stay as they
 * were. Every apply is recorded with its outcome per NI.
 */
import type { ApplyRecord } from "../../rpc/mod.ts";
import { errorMessage } from "../../core/mod.ts";
import { probeUntil } from "./apply_probe.ts";
import type { DnsmasqSupervisor } from "./dnsmasq_supervisor.ts";
import type { ZedrouterCore } from "./eve_handlers.ts";
import type { Config, NetworkInstance } from "./model.ts";
import { ensureNetworkInstance, removeNetworkInstance } from "./network_instances.ts";

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;
/** How many records Inspect.Applies keeps (oldest dropped first). */
const KEEP = 20;

/** What an apply changes in the running daemon (daemon.ts provides it). */
export interface ApplyTarget {
  readonly core: ZedrouterCore;
  readonly dnsmasq: DnsmasqSupervisor;
  /** Puts `config` in force for every call from now on (and its fault rules). */
  swap(config: Config, loadedAt?: Date): void;
  /** When the config in force was loaded (a rollback puts the old time back). */
  loadedAt(): Date;
  /** After a passed apply: detach what `next` removed, then delete its bridges. */
  finish(previous: Config, next: Config): Promise<void>;
  readonly records: ApplyRecord[];
  /** The daemon's state dir (the DHCP probe's hook script goes there). */
  readonly stateDir: string;
}

type NiResult = ApplyRecord["networkInstances"][number];

/** The NIs `next` adds or changes (by name; any difference in the resolved NI counts). */
export function diffNis(previous: Config, next: Config): NiResult[] {
  const before = new Map(previous.networkInstances.map((ni) => [ni.name, ni]));
  const after = new Set(next.networkInstances.map((ni) => ni.name));
  const out: NiResult[] = [];
  for (const ni of next.networkInstances) {
    const old = before.get(ni.name);
    if (old && JSON.stringify(old) === JSON.stringify(ni)) continue;
    out.push({
      name: ni.name,
      change: old ? "changed" : "added",
      outcome: "SuccessfullyConfigured",
      error: null,
    });
  }
  for (const ni of previous.networkInstances) {
    if (!after.has(ni.name)) {
      out.push({
        name: ni.name,
        change: "removed",
        outcome: "SuccessfullyConfigured",
        error: null,
      });
    }
  }
  return out;
}

/** Applies `next` (or records why it could not be read), probing and rolling back. */
export async function applyConfig(
  target: ApplyTarget,
  next: Config | Error,
  source: ApplyRecord["source"],
  probeTimeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<ApplyRecord> {
  const at = new Date().toISOString();
  const previous = target.core.config();
  const previousLoadedAt = target.loadedAt();
  if (next instanceof Error) {
    return record(target, {
      at,
      source,
      outcome: "FailedToConfigure",
      error: next.message,
      rolledBack: false,
      networkInstances: [],
    });
  }
  const results = diffNis(previous, next);
  const error = await tryApply(target, next, results, probeTimeoutMs);
  if (error === null) {
    await target.finish(previous, next);
    return record(target, {
      at,
      source,
      outcome: "SuccessfullyConfigured",
      error,
      rolledBack: false,
      networkInstances: results,
    });
  }
  await rollBack(target, previous, next, previousLoadedAt);
  return record(target, {
    at,
    source,
    outcome: "FailedToConfigure",
    error,
    rolledBack: true,
    networkInstances: results,
  });
}

/** Makes, swaps and probes; the first error (also written into its NI's result), or null. */
async function tryApply(
  target: ApplyTarget,
  next: Config,
  results: NiResult[],
  probeTimeoutMs: number,
): Promise<string | null> {
  const { core } = target;
  const fail = (name: string | null, message: string) => {
    const result = results.find((r) => r.name === name);
    if (result) Object.assign(result, { outcome: "FailedToConfigure", error: message });
    return name ? `network instance "${name}": ${message}` : message;
  };
  const changed = (ni: NetworkInstance) => results.some((r) => r.name === ni.name);
  for (const ni of next.networkInstances) {
    try {
      await ensureNetworkInstance(core.kernel, ni, next);
    } catch (error) {
      return fail(ni.name, errorMessage(error));
    }
  }
  target.swap(next);
  try {
    await target.dnsmasq.sync(next);
  } catch (error) {
    return fail(null, `dnsmasq: ${errorMessage(error)}`);
  }
  const ctx = {
    kernel: core.kernel,
    ovs: next.ovs,
    stateDir: target.stateDir,
    log: core.log,
    dnsmasq: () => target.dnsmasq.status(),
  };
  let first: string | null = null;
  for (const ni of next.networkInstances.filter(changed)) {
    const problem = await probeUntil(ctx, ni, probeTimeoutMs);
    if (problem !== null) first ??= fail(ni.name, problem);
  }
  return first;
}

/** The previous config in force again: the new NIs' bridges gone, the old ones made again. */
async function rollBack(
  target: ApplyTarget,
  previous: Config,
  next: Config,
  loadedAt: Date,
): Promise<void> {
  const { core } = target;
  target.swap(previous, loadedAt);
  const kept = new Set(previous.networkInstances.map((ni) => ni.bridge));
  for (const ni of next.networkInstances) {
    if (!kept.has(ni.bridge)) {
      await removeNetworkInstance(core.kernel, ni, next.ovs).catch((e) =>
        core.log(`Rollback: cannot remove ${ni.bridge}: ${errorMessage(e)}`)
      );
    }
  }
  for (const ni of previous.networkInstances) {
    await ensureNetworkInstance(core.kernel, ni, previous).catch((e) =>
      core.log(`Rollback: cannot restore ${ni.name}: ${errorMessage(e)}`)
    );
  }
  await target.dnsmasq.sync(previous).catch((e) =>
    core.log(`Rollback: dnsmasq: ${errorMessage(e)}`)
  );
}

function record(target: ApplyTarget, entry: ApplyRecord): ApplyRecord {
  target.records.push(entry);
  if (target.records.length > KEEP) target.records.splice(0, target.records.length - KEEP);
  const failed = entry.networkInstances.filter((r) => r.outcome === "FailedToConfigure");
  target.core.log(
    `Apply (${entry.source}): ${entry.outcome}${entry.rolledBack ? ", rolled back" : ""}` +
      (entry.error ? `: ${entry.error}` : "") +
      (failed.length ? ` [${failed.map((r) => r.name).join(", ")}]` : ""),
  );
  return entry;
}
