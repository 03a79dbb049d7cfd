/**
 * Taking a routing policy apart (DEL, GC, ADD's rollback): what lives outside the pod goes
 * for sure (the node's neighbour entries for the pod's addresses), then the record. The pod's
 * own namespace goes with the pod; while it still exists (one interface DEL'd from a running
 * pod) its source rules are removed too, best effort, since a rule outlives the interface
 * and would claim the table for an address that is gone. Idempotent: no record, nothing to do.
 */
import { errorMessage } from "../../core/mod.ts";
import { listRoutingRecords, readRoutingRecord, type RoutingRecord } from "../../core/eve/mod.ts";
import {
  delNeighbourCommand,
  delSourceRule,
  netnsExists,
  readInterfaceView,
  runIpBatch,
  type Runner,
} from "../../netns/mod.ts";
import type { CniLogger } from "../cni/mod.ts";

async function releaseHostNeighbours(runner: Runner, record: RoutingRecord): Promise<number> {
  const entries = record.applied.hostNeighbours;
  if (entries.length === 0 || record.hostEnd === null) return 0;
  const view = await readInterfaceView(runner, undefined, record.hostEnd);
  if (!view) return 0; // the bridge is gone, and its entries with it
  const present = entries.filter((e) =>
    view.neighbours.some((n) => n.ip === e.ip && n.dev === e.dev)
  );
  await runIpBatch(runner, undefined, present.map((e) => delNeighbourCommand(e)));
  return present.length;
}

async function releasePodRules(
  runner: Runner,
  record: RoutingRecord,
  logger: CniLogger,
): Promise<void> {
  if (record.applied.rules.length === 0) return;
  if (!(await netnsExists(record.netnsPath).catch(() => false))) return;
  for (const rule of record.applied.rules) {
    await delSourceRule(runner, { path: record.netnsPath }, rule).catch((error) =>
      logger.warn("Cannot remove rule from {src} in the pod: {error}", {
        src: rule.src,
        error: errorMessage(error),
      })
    );
  }
}

/** Releases the policy recorded at `path`; a failure on the node keeps the record (retry). */
export async function releaseRoutingPolicy(
  runner: Runner,
  path: string,
  logger: CniLogger,
): Promise<void> {
  const record = await readRoutingRecord(path).catch((error) => {
    logger.warn("Ignoring an unreadable routing record: {error}", { error: errorMessage(error) });
    return undefined;
  });
  if (record !== undefined) {
    const hostNeighbours = await releaseHostNeighbours(runner, record);
    await releasePodRules(runner, record, logger);
    logger.info("Routing policy of {ifname} released", { hostNeighbours });
  }
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  // The container's directory goes when this was its last file.
  await Deno.remove(path.slice(0, path.lastIndexOf("/"))).catch(() => {});
}

/**
 * GC: releases every record of `network` whose attachment the runtime no longer lists. Each
 * failure is collected, not fatal to the others.
 */
export async function gcRoutingRecords(
  runner: Runner,
  stateDir: string,
  network: string,
  keep: ReadonlySet<string>,
  logger: CniLogger,
): Promise<string[]> {
  const { records, problems } = await listRoutingRecords(stateDir);
  for (const { error } of problems) logger.warn("GC skips {problem}", { problem: error });
  const failures: string[] = [];
  for (const { path, record } of records) {
    if (record.network !== network || keep.has(`${record.containerID}\0${record.ifname}`)) {
      continue;
    }
    await releaseRoutingPolicy(runner, path, logger).catch((error) =>
      failures.push(`routing record ${path}: ${errorMessage(error)}`)
    );
  }
  return failures;
}
