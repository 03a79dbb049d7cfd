/**
 * CNI_ARGS: `K=V;K=V`. Each pair splits on its first `=` (values may contain `=`), unknown keys
 * are an error unless `IgnoreUnknown` is `1` or `true` (what Multus always sends), and a `MAC`
 * must be a valid MAC address.
 */
import * as v from "valibot";
import { describeIssues, UnicastMacSchema } from "../../core/mod.ts";
import { CniError, CniErrorCode } from "./errors.ts";

export const KNOWN_CNI_ARGS = [
  "IgnoreUnknown",
  "MAC",
  "IP",
  "K8S_POD_NAME",
  "K8S_POD_NAMESPACE",
  "K8S_POD_INFRA_CONTAINER_ID",
  "K8S_POD_UID",
] as const;

/** The parsed CNI_ARGS; `raw` keeps every pair (unknown ones too) in order for delegates. */
export interface CniArgs {
  readonly ignoreUnknown: boolean;
  readonly mac?: string;
  /** `IP=a,b`: the addresses a caller asks for, as given (the IPAM plugin validates them). */
  readonly ips?: readonly string[];
  readonly podName?: string;
  readonly podNamespace?: string;
  readonly podInfraContainerId?: string;
  readonly podUid?: string;
  readonly raw: ReadonlyArray<readonly [string, string]>;
}

function invalid(msg: string, details: string): CniError {
  return new CniError(CniErrorCode.InvalidEnv, msg, details);
}

export function parseCniArgs(text: string | undefined): CniArgs {
  const pairs: [string, string][] = [];
  for (const item of (text ?? "").split(";")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq <= 0) {
      throw invalid(
        `Invalid CNI_ARGS pair "${item}"`,
        'Write CNI_ARGS as "KEY=VALUE;KEY=VALUE"',
      );
    }
    pairs.push([item.slice(0, eq), item.slice(eq + 1)]);
  }
  const map = new Map(pairs);
  const ignoreRaw = map.get("IgnoreUnknown");
  const ignoreUnknown = ignoreRaw !== undefined && ["1", "true"].includes(ignoreRaw.toLowerCase());
  if (!ignoreUnknown) {
    const unknown = pairs.map(([key]) => key).filter((key) =>
      !(KNOWN_CNI_ARGS as readonly string[]).includes(key)
    );
    if (unknown.length > 0) {
      throw invalid(
        `Unknown CNI_ARGS key ${unknown.map((k) => `"${k}"`).join(", ")}`,
        `Known keys are ${KNOWN_CNI_ARGS.join(", ")}; add "IgnoreUnknown=1" to pass others`,
      );
    }
  }
  let mac: string | undefined;
  const macRaw = map.get("MAC");
  if (macRaw !== undefined) {
    const parsed = v.safeParse(UnicastMacSchema, macRaw);
    if (!parsed.success) {
      throw invalid(`Invalid CNI_ARGS MAC "${macRaw}"`, describeIssues(parsed.issues));
    }
    mac = parsed.output;
  }
  const ipRaw = map.get("IP");
  return {
    ignoreUnknown,
    raw: pairs,
    ...(mac !== undefined && { mac }),
    ...(ipRaw !== undefined && { ips: ipRaw.split(",").filter((s) => s !== "") }),
    ...optional("podName", map.get("K8S_POD_NAME")),
    ...optional("podNamespace", map.get("K8S_POD_NAMESPACE")),
    ...optional("podInfraContainerId", map.get("K8S_POD_INFRA_CONTAINER_ID")),
    ...optional("podUid", map.get("K8S_POD_UID")),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
