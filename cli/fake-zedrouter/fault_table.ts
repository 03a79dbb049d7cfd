/**
 * The fault rules in force and which of them a call hits. Rules come from the config file
 * (source `config`, replaced on every load) and from Control.AddFault (source `rpc`, kept
 * until cleared). A call hits, per stage (`request`, `reply`), every matching delay and the
 * first matching fail, hang or drop, in the order the rules were added; only rules it hits
 * are counted, and a rule whose count is used up stays listed but matches nothing more.
 * Matching and counting happen in one synchronous step, so `once` means once even when
 * calls arrive together.
 */
import type { FaultHit, FaultInfo, FaultKind, FaultRule, FaultStage } from "../../rpc/mod.ts";
import { podMatcher } from "./pod_pattern.ts";

/** What a rule is matched against: the call's method and the pod interface it names. */
export interface FaultTarget {
  readonly method: string;
  readonly pod: string | null;
  readonly interface: string | null;
}

interface Entry {
  readonly id: number;
  readonly source: FaultInfo["source"];
  readonly rule: FaultRule;
  readonly kind: FaultKind;
  readonly podMatches: ((podName: string) => boolean) | null;
  /** null = always. */
  remaining: number | null;
  hits: number;
}

export function faultKind(rule: FaultRule): FaultKind {
  if (rule.delay !== undefined) return "delay";
  if (rule.fail !== undefined) return "fail";
  return rule.hang ? "hang" : "drop";
}

function limitOf(rule: FaultRule): number | null {
  if (rule.once) return 1;
  return rule.times ?? null;
}

function matches(entry: Entry, target: FaultTarget): boolean {
  if (entry.remaining === 0 || entry.rule.method !== target.method) return false;
  if (entry.podMatches && (target.pod === null || !entry.podMatches(target.pod))) return false;
  const ifName = entry.rule.interface;
  return ifName === undefined || ifName === target.interface;
}

function hitOf(entry: Entry): FaultHit {
  return {
    id: entry.id,
    kind: entry.kind,
    at: entry.rule.at,
    delayMs: entry.rule.delay ?? null,
    message: entry.rule.fail ?? null,
  };
}

export class FaultTable {
  #entries: Entry[] = [];
  #nextId = 1;

  /** Adds a rule (validated by FaultRuleSchema); it applies to calls arriving from now on. */
  add(rule: FaultRule, source: FaultInfo["source"] = "rpc"): FaultInfo {
    const entry: Entry = {
      id: this.#nextId++,
      source,
      rule,
      kind: faultKind(rule),
      podMatches: rule.pod === undefined ? null : podMatcher(rule.pod),
      remaining: limitOf(rule),
      hits: 0,
    };
    this.#entries.push(entry);
    return this.#info(entry);
  }

  /** The config's rules, replacing those of the previous load (rules added by RPC stay). */
  setConfigRules(rules: readonly FaultRule[]): void {
    this.#entries = this.#entries.filter((e) => e.source !== "config");
    for (const rule of rules) this.add(rule, "config");
  }

  /** Removes the rule `id`, or every rule; returns how many went. */
  clear(id?: number): number {
    const before = this.#entries.length;
    this.#entries = id === undefined ? [] : this.#entries.filter((e) => e.id !== id);
    return before - this.#entries.length;
  }

  list(): FaultInfo[] {
    return this.#entries.map((e) => this.#info(e));
  }

  /** The faults `target` hits, counted now: per stage every delay, then the first other. */
  strike(target: FaultTarget): FaultHit[] {
    const hit: Entry[] = [];
    const terminal = new Set<FaultStage>();
    for (const entry of this.#entries) {
      if (!matches(entry, target)) continue;
      if (entry.kind !== "delay") {
        if (terminal.has(entry.rule.at)) continue;
        terminal.add(entry.rule.at);
      }
      hit.push(entry);
    }
    for (const entry of hit) {
      entry.hits += 1;
      if (entry.remaining !== null) entry.remaining -= 1;
    }
    return hit.map(hitOf);
  }

  #info(e: Entry): FaultInfo {
    return {
      id: e.id,
      source: e.source,
      method: e.rule.method,
      pod: e.rule.pod ?? null,
      interface: e.rule.interface ?? null,
      at: e.rule.at,
      kind: e.kind,
      delayMs: e.rule.delay ?? null,
      message: e.rule.fail ?? null,
      remaining: e.remaining,
      hits: e.hits,
    };
  }
}
