/**
 * The CNI environment of one invocation, validated per command the way libcni's skel does:
 * ADD/CHECK need CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH; DEL the same without
 * CNI_NETNS; STATUS and GC only CNI_PATH; VERSION nothing.
 */
import * as v from "valibot";
import { describeIssues, IfNameSchema, NetnsPathSchema } from "../../core/mod.ts";
import { type CniArgs, parseCniArgs } from "./cni_args.ts";
import { CniError, CniErrorCode } from "./errors.ts";

export const COMMANDS = ["ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC"] as const;
export type CniCommand = typeof COMMANDS[number];

export const CONTAINER_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

export interface CniEnv {
  readonly command: CniCommand;
  /** Empty for STATUS, GC and VERSION. */
  readonly containerId: string;
  /** Empty when the runtime did not pass one (DEL may omit it). */
  readonly netns: string;
  /** Empty for STATUS, GC and VERSION. */
  readonly ifname: string;
  readonly args: CniArgs;
  /** CNI_PATH split on `:`, empty entries dropped. */
  readonly path: readonly string[];
  /** CNI_NETNS_OVERRIDE set: the caller allows CNI_NETNS to be our own namespace. */
  readonly netnsOverride: boolean;
}

type Need = "required" | "optional" | "unused";
const NEEDS: Record<CniCommand, { containerId: Need; netns: Need; ifname: Need; path: Need }> = {
  ADD: { containerId: "required", netns: "required", ifname: "required", path: "required" },
  CHECK: { containerId: "required", netns: "required", ifname: "required", path: "required" },
  DEL: { containerId: "required", netns: "optional", ifname: "required", path: "required" },
  STATUS: { containerId: "unused", netns: "unused", ifname: "unused", path: "required" },
  GC: { containerId: "unused", netns: "unused", ifname: "unused", path: "required" },
  VERSION: { containerId: "unused", netns: "unused", ifname: "unused", path: "unused" },
};

function invalid(msg: string, details: string): CniError {
  return new CniError(CniErrorCode.InvalidEnv, msg, details);
}

/** Reads CNI_COMMAND alone (the first thing a run needs, before it knows what else to check). */
export function parseCommand(env: Readonly<Record<string, string>>): CniCommand {
  const command = env.CNI_COMMAND ?? "";
  if (command === "") {
    throw invalid("Missing CNI_COMMAND", `Set CNI_COMMAND to one of ${COMMANDS.join(", ")}`);
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw invalid(
      `Unknown CNI_COMMAND "${command}"`,
      `Set CNI_COMMAND to one of ${COMMANDS.join(", ")}`,
    );
  }
  return command as CniCommand;
}

export function parseEnv(env: Readonly<Record<string, string>>): CniEnv {
  const command = parseCommand(env);
  const need = NEEDS[command];
  const missing: string[] = [];
  const get = (name: string, needed: Need): string => {
    const value = needed === "unused" ? "" : env[name] ?? "";
    if (value === "" && needed === "required") missing.push(name);
    return value;
  };
  const containerId = get("CNI_CONTAINERID", need.containerId);
  const netns = get("CNI_NETNS", need.netns);
  const ifname = get("CNI_IFNAME", need.ifname);
  const pathText = get("CNI_PATH", need.path);
  if (missing.length > 0) {
    throw invalid(
      `Missing ${missing.join(", ")} for CNI_COMMAND ${command}`,
      `The runtime must set ${missing.join(", ")}`,
    );
  }
  if (containerId !== "" && !CONTAINER_ID_PATTERN.test(containerId)) {
    throw invalid(
      `Invalid CNI_CONTAINERID "${containerId}"`,
      "Use letters, digits, '_', '.' and '-', starting with a letter or digit",
    );
  }
  if (ifname !== "") {
    const parsed = v.safeParse(IfNameSchema, ifname);
    if (!parsed.success) {
      throw invalid(`Invalid CNI_IFNAME "${ifname}"`, describeIssues(parsed.issues));
    }
  }
  if (netns !== "") {
    const parsed = v.safeParse(NetnsPathSchema, netns);
    if (!parsed.success) {
      throw invalid(`Invalid CNI_NETNS "${netns}"`, describeIssues(parsed.issues));
    }
  }
  return {
    command,
    containerId,
    netns,
    ifname,
    args: command === "VERSION" ? parseCniArgs("") : parseCniArgs(env.CNI_ARGS),
    path: pathText.split(":").filter((dir) => dir !== ""),
    netnsOverride: (env.CNI_NETNS_OVERRIDE ?? "") !== "",
  };
}
