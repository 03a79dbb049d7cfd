/**
 * Which commands may go to a long-lived `ip -batch -` process (ip_pool.ts) instead of a
 * spawn of their own, and the batch line each becomes. Everything else is run as before.
 * Every word of a line is checked against BatchWordSchema (_validate.ts), which says why a
 * line joined from such words carries exactly the argv it was built from (the netns/
 * functions have already checked names, MACs and addresses against their schemas); a
 * command holding any other word is not batched.
 */
import * as v from "valibot";
import { NetnsNameSchema } from "../core/mod.ts";
import { BatchWordSchema } from "./_validate.ts";
import { NETNS_RUN_DIR } from "./target.ts";

/** iproute2 refuses lines of 100 words or more ("Too many arguments") and exits. */
const MAX_WORDS = 90;

/**
 * A line and where it runs: in a named netns (`netns exec NAME ...`, forked by ip), or in the
 * batch process's own netns, ours (whose process runs with `-j -d`: a read must have asked
 * for -j, since the batch prints JSON; -d only adds fields to what it prints).
 */
export interface BatchCommand {
  /** The words of the line. */
  readonly words: readonly string[];
  /** The named netns a `netns exec` line enters (its file must exist when it is sent). */
  readonly netnsName: string | null;
  /** It only reads (show, list, sysctl -n): safe to run again. */
  readonly read: boolean;
  /**
   * The line for an ip already inside `netnsName` that runs with `-j -d` (ip_pool_netns.ts):
   * an ip command's own words. Null for sysctl, and for a read without -j (that ip prints
   * JSON), which only a `netns exec` line can run.
   */
  readonly inNetns: readonly string[] | null;
}

/** Objects and verbs we batch. A read (show, list) prints to stdout; the rest print nothing. */
const VERBS: Readonly<Record<string, readonly string[]>> = {
  link: ["add", "set", "del", "delete", "show", "list"],
  addr: ["add", "del", "delete", "flush", "show", "list"],
  address: ["add", "del", "delete", "flush", "show", "list"],
  route: ["add", "del", "delete", "replace", "show", "list"],
  neigh: ["add", "del", "delete", "replace", "show", "list"],
};
const READS = new Set(["show", "list"]);

/** sysctl options that neither read files nor stdin. */
const SYSCTL_FLAGS = new Set(["-q", "-w", "-n", "-e"]);

interface IpParts {
  readonly json: boolean;
  readonly details: boolean;
  readonly netnsName: string | null;
  readonly rest: readonly string[];
  readonly read: boolean;
}

/** Splits `ip [-j] [-d] [-n NAME] OBJECT VERB ...`; undefined for anything else. */
function parseIp(args: readonly string[]): IpParts | undefined {
  let json = false;
  let details = false;
  let netnsName: string | null = null;
  let at = 0;
  for (; at < args.length && args[at]!.startsWith("-"); at++) {
    const option = args[at]!;
    if (option === "-j" || option === "-json") json = true;
    else if (option === "-d" || option === "-details") details = true;
    else if (option === "-n" && netnsName === null && v.is(NetnsNameSchema, args[at + 1])) {
      netnsName = args[++at]!;
    } else return undefined;
  }
  const rest = args.slice(at);
  const verbs = VERBS[rest[0] ?? ""];
  if (verbs === undefined || !verbs.includes(rest[1] ?? "")) return undefined;
  return { json, details, netnsName, rest, read: READS.has(rest[1]!) };
}

/**
 * Whether a line may run in an ip that has run other lines. Not an address read: iproute2
 * (6.1) sets its global address family to AF_PACKET for any `link show` (our stderr marker
 * is one) and never resets it in batch mode, so every later `addr show` prints the links
 * without their addresses. Measured: the first `addr show dev lo` of a batch lists 127.0.0.1,
 * the next ones list none. A `netns exec` line is a fresh ip and reads them right.
 */
function runsInSharedIp(ip: IpParts): boolean {
  return !(ip.read && (ip.rest[0] === "addr" || ip.rest[0] === "address"));
}

/** `nsenter --net=/var/run/netns/NAME ...` names NAME; any other target is not batched. */
function nsenterNetnsName(option: string | undefined): string | null {
  const prefix = `--net=${NETNS_RUN_DIR}/`;
  if (option === undefined || !option.startsWith(prefix)) return null;
  const name = option.slice(prefix.length);
  return v.is(NetnsNameSchema, name) ? name : null;
}

function isSysctlArgs(args: readonly string[]): boolean {
  return args.length > 0 && args.every((a) => a.startsWith("-") ? SYSCTL_FLAGS.has(a) : true);
}

/** A command inside a named netns: `netns exec NAME PROGRAM ARGS` (ip forks it). */
function netnsExec(name: string, program: readonly string[]): BatchCommand | undefined {
  const [tool, ...args] = program;
  let read: boolean;
  let inNetns: readonly string[] | null = null;
  if (tool === "ip") {
    const ip = parseIp(args);
    if (ip === undefined || ip.netnsName !== null) return undefined;
    read = ip.read;
    if ((!ip.read || ip.json) && runsInSharedIp(ip)) inNetns = ip.rest;
  } else if (tool === "sysctl" && isSysctlArgs(args)) {
    read = !args.includes("-w") && args.every((a) => !a.includes("="));
  } else return undefined;
  const words = ["netns", "exec", name, ...program];
  return finish({ words, netnsName: name, read, inNetns });
}

function finish(command: BatchCommand): BatchCommand | undefined {
  if (command.words.length > MAX_WORDS) return undefined;
  return command.words.every((w) => v.is(BatchWordSchema, w)) ? command : undefined;
}

/**
 * The batch form of an argv as netns/ builds them (ipArgv, execArgv), or undefined when it
 * must be spawned: other programs, other options, unsafe tokens, a host read without -j
 * (the batch prints JSON), a namespace given by a path outside /var/run/netns.
 */
export function toBatchCommand(argv: readonly string[]): BatchCommand | undefined {
  const [program, ...args] = argv;
  if (program === "nsenter") {
    const name = nsenterNetnsName(args[0]);
    return name === null ? undefined : netnsExec(name, args.slice(1));
  }
  if (program !== "ip") return undefined;
  const ip = parseIp(args);
  if (ip === undefined) return undefined;
  if (ip.netnsName !== null) {
    // `ip -n NAME ...` is `ip netns exec NAME ip ...`: the same namespace switch.
    const inner = [...(ip.json ? ["-j"] : []), ...(ip.details ? ["-d"] : []), ...ip.rest];
    return netnsExec(ip.netnsName, ["ip", ...inner]);
  }
  if ((ip.read && !ip.json) || !runsInSharedIp(ip)) return undefined;
  return finish({ words: ip.rest, netnsName: null, read: ip.read, inNetns: null });
}
