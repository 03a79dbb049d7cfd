/** Policy-routing rules: read back from `ip -j rule`, add and delete source rules. */
import * as v from "valibot";
import { CidrSchema } from "../core/mod.ts";
import { parseIpJson } from "./_json.ts";
import { checked } from "./_validate.ts";
import type { IpCommand } from "./ip_batch.ts";
import { isCommandError, runChecked, type Runner } from "./runner.ts";
import { ipArgv, type Netns } from "./target.ts";

const IpRuleSchema = v.looseObject({
  priority: v.optional(v.number()),
  src: v.optional(v.string()),
  srclen: v.optional(v.number()),
  dst: v.optional(v.string()),
  dstlen: v.optional(v.number()),
  iif: v.optional(v.string()),
  oif: v.optional(v.string()),
  table: v.optional(v.string()),
});

export interface RuleInfo {
  priority: number | null;
  /** "all" or a CIDR */
  src: string;
  dst: string;
  iif: string | null;
  oif: string | null;
  table: string | null;
}

export function parseRules(stdout: string): RuleInfo[] {
  const withLen = (addr: string | undefined, len: number | undefined) =>
    addr === undefined ? "all" : len === undefined ? addr : `${addr}/${len}`;
  return parseIpJson(IpRuleSchema, stdout, "rules").map((r) => ({
    priority: r.priority ?? null,
    src: withLen(r.src, r.srclen),
    dst: withLen(r.dst, r.dstlen),
    iif: r.iif ?? null,
    oif: r.oif ?? null,
    table: r.table ?? null,
  }));
}

export async function listRules(
  runner: Runner,
  ns: Netns | undefined,
  family: "inet" | "inet6" = "inet",
): Promise<RuleInfo[]> {
  const argv = ipArgv(ns, ["-j", family === "inet" ? "-4" : "-6", "rule", "show"]);
  return parseRules(await runChecked(runner, argv));
}

/**
 * A source rule: packets from `src` (a host or a prefix) look up `table`. The kernel prints
 * a host source without its length: `ip -j rule` shows `from 10.0.0.5/32` as `10.0.0.5`.
 */
export interface SourceRuleSpec {
  src: string;
  table: number;
  priority: number;
}

function checkRuleNumber(value: number, what: string, max: number): string {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new TypeError(`Invalid rule ${what} ${value}: expected an integer from 0 to ${max}`);
  }
  return String(value);
}

/** `rule add|del from SRC lookup TABLE pref PRIORITY`, in SRC's family, for an ip batch. */
export function sourceRuleCommand(verb: "add" | "del", rule: SourceRuleSpec): IpCommand {
  const src = checked(CidrSchema, rule.src, "rule source");
  return {
    family: src.includes(":") ? "inet6" : "inet",
    args: [
      "rule",
      verb,
      "from",
      src,
      "lookup",
      checkRuleNumber(rule.table, "table", 0xffffffff),
      "pref",
      checkRuleNumber(rule.priority, "priority", 0xffffffff),
    ],
  };
}

function familyFlag(command: IpCommand): string[] {
  return command.family === "inet6" ? ["-6"] : command.family === "inet" ? ["-4"] : [];
}

/** Adds the rule; an identical rule already present is an error ("exists") unless ignored. */
export async function addSourceRule(
  runner: Runner,
  ns: Netns | undefined,
  rule: SourceRuleSpec,
  options: { ignoreExists?: boolean } = {},
): Promise<void> {
  const command = sourceRuleCommand("add", rule);
  try {
    await runChecked(runner, ipArgv(ns, [...familyFlag(command), ...command.args]));
  } catch (error) {
    if (!(options.ignoreExists && isCommandError(error, "exists"))) throw error;
  }
}

/** Deletes the rule; a rule that is not there is success. */
export async function delSourceRule(
  runner: Runner,
  ns: Netns | undefined,
  rule: SourceRuleSpec,
): Promise<void> {
  const command = sourceRuleCommand("del", rule);
  try {
    await runChecked(runner, ipArgv(ns, [...familyFlag(command), ...command.args]));
  } catch (error) {
    if (!isCommandError(error, "not-found")) throw error;
  }
}
