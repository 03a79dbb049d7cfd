/**
 * eve-bridge's own log file read back by the e2e tests: libcni passes on only an error's text,
 * so the CNI code of a failure and what DEL says it did with a lease are read here.
 */
import type { E2eNode } from "../../scripts/sandbox/node.ts";

interface LogRecord {
  message?: string;
  properties?: Record<string, unknown>;
}

async function records(node: E2eNode): Promise<LogRecord[]> {
  const lines = (await Deno.readTextFile(node.logFile)).trimEnd().split("\n");
  return lines.filter((l) => l !== "").map((l) => JSON.parse(l) as LogRecord);
}

/** The CNI code of eve-bridge's last failure. */
export async function lastFailureCode(node: E2eNode): Promise<number | undefined> {
  const failed = (await records(node)).findLast((r) => r.message?.startsWith("Failed ") ?? false);
  return failed?.properties?.code as number | undefined;
}

/** The properties of the last "Detached <ifname>" line (releaseOutcome, zedrouterLease...). */
export async function lastDetached(
  node: E2eNode,
  ifname: string,
): Promise<Record<string, unknown> | undefined> {
  // The rendered message names the interface quoted: Detached "net1".
  const detached = (await records(node)).findLast((r) =>
    r.message?.startsWith("Detached ") && r.message.includes(JSON.stringify(ifname))
  );
  return detached?.properties;
}
