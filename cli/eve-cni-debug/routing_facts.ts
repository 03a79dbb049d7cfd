/**
 * eve-bridge's routing-policy records (`<stateDir>/<containerID>/<ifname>.routing`) and what
 * the kernel shows of each: the pod's rules, tables, neighbours and rp_filter, the node's
 * neighbour entries on the record's bridge. Read only; the check itself is core/eve's
 * routingProblems, the one eve-bridge's CHECK runs.
 */
import { errorMessage } from "../../core/mod.ts";
import { listRoutingRecords, type RoutingFacts, type RoutingRecord } from "../../core/eve/mod.ts";
import {
  getSysctls,
  interfaceSysctlKey,
  listRules,
  type Netns,
  netnsInode,
  readInterfaceView,
  readRoutingView,
  type Runner,
} from "../../netns/mod.ts";
import { netnsFromPath } from "./netns_target.ts";

export interface RoutingEntry {
  path: string;
  record: RoutingRecord;
  /** null when the kernel could not be read (see error). */
  facts: RoutingFacts | null;
  error: string | null;
}

async function podFacts(runner: Runner, record: RoutingRecord): Promise<RoutingFacts["pod"]> {
  const ns = netnsFromPath(record.netnsPath);
  const view = await readRoutingView(runner, ns);
  const rules = record.applied.rules.some((r) => r.src.includes(":"))
    ? [...view.rules, ...await listRules(runner, ns, "inet6")]
    : view.rules;
  let rpFilter = null;
  if (record.intent.rpFilter !== null) {
    const keys = ["all", record.ifname].map((n) => interfaceSysctlKey("ipv4", n, "rp_filter"));
    const [all = 0, own = 0] = (await getSysctls(runner, ns, keys)).map(Number);
    rpFilter = { all, own };
  }
  return { ...view, rules, rpFilter };
}

async function entryOf(
  runner: Runner,
  host: Netns | undefined,
  path: string,
  record: RoutingRecord,
): Promise<RoutingEntry> {
  try {
    if ((await netnsInode(record.netnsPath).catch(() => undefined)) === undefined) {
      return { path, record, facts: null, error: `pod netns ${record.netnsPath} does not exist` };
    }
    const hostEnd = record.hostEnd === null || record.applied.hostNeighbours.length === 0
      ? null
      : await readInterfaceView(runner, host, record.hostEnd);
    return {
      path,
      record,
      facts: {
        pod: await podFacts(runner, record),
        hostNeighbours: record.hostEnd === null ? null : hostEnd?.neighbours ?? [],
      },
      error: null,
    };
  } catch (error) {
    return { path, record, facts: null, error: errorMessage(error) };
  }
}

/** Every record under `stateDir` with its kernel facts; unreadable records as problems. */
export async function gatherRoutingEntries(
  runner: Runner,
  host: Netns | undefined,
  stateDir: string,
): Promise<{ entries: RoutingEntry[]; unreadable: { path: string; error: string }[] }> {
  const { records, problems } = await listRoutingRecords(stateDir);
  const entries = await Promise.all(
    records.map(({ path, record }) => entryOf(runner, host, path, record)),
  );
  return { entries, unreadable: problems };
}
