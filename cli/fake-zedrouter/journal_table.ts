/**
 * The journal as a person reads it (`fake-zedrouter journal` without `--json`): one row per
 * call with what matters of its params and reply in a few words. The JSON form is the
 * entry itself (rpc/control_contract.ts), the same line the journal file holds.
 */
import { orDash, table } from "../../core/mod.ts";
import type { FaultHit, FaultInfo, JournalEntry } from "../../rpc/mod.ts";

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Obj : {};
const list = (value: unknown): Obj[] => Array.isArray(value) ? value.map(obj) : [];

/** `#2 delay 200ms`, `#3 fail@reply`: which rule, what, and the stage unless `request`. */
export function faultLabel(f: Pick<FaultHit, "id" | "kind" | "at" | "delayMs">): string {
  const what = f.kind === "delay" ? `delay ${f.delayMs}ms` : f.kind;
  return `#${f.id} ${what}${f.at === "request" ? "" : `@${f.at}`}`;
}

function l3Text(params: Obj): string {
  const ips = list(params.ips).map((ip) => `${ip.address}${ip.gateway ? ` gw ${ip.gateway}` : ""}`);
  const routes = list(params.routes).map((r) => `${r.dst}${r.gw ? ` via ${r.gw}` : ""}`);
  return [
    `ips ${ips.join(", ") || "none"}`,
    ...(routes.length ? [`routes ${routes.join(", ")}`] : []),
  ]
    .join("; ");
}

/** The params and reply of one call in a few words. */
export function callSummary(entry: JournalEntry): string {
  const params = obj(entry.params);
  const result = obj(entry.result);
  const method = entry.method.slice(entry.method.indexOf(".") + 1);
  const asked = method === "ConnectPodAtL2"
    ? `mac ${orDash(obj(params.podInterface).mac as string | null)}`
    : method === "ConnectPodAtL3"
    ? l3Text(params)
    : "";
  let answered = "";
  if (entry.outcome === "error") answered = `error: ${entry.error}`;
  else if (entry.outcome !== "ok") answered = entry.outcome;
  else if (method === "ConnectPodAtL2") {
    const host = list(result.interfaces)[1];
    answered = `${orDash(host?.name as string)}, useDHCP ${result.useDHCP}`;
  } else if (method === "DisconnectPod") answered = `usedDHCP ${result.usedDHCP}`;
  else if (method === "CheckPodConnection") answered = `usesDHCP ${result.usesDHCP}`;
  else answered = "ok";
  return [asked, answered].filter((s) => s !== "").join(" -> ");
}

export function journalTable(entries: readonly JournalEntry[]): string {
  const rows = entries.map((e) => [
    String(e.seq),
    e.time.slice(11, 23),
    e.method.slice(e.method.indexOf(".") + 1),
    orDash(e.pod),
    orDash(e.interface),
    e.durationMs.toFixed(1),
    e.outcome,
    e.faults.map(faultLabel).join(" ") || "-",
    callSummary(e),
  ]);
  return table(["SEQ", "TIME", "METHOD", "POD", "IF", "MS", "OUTCOME", "FAULTS", "DETAIL"], rows);
}

export function faultsTable(faults: readonly FaultInfo[]): string {
  const rows = faults.map((f) => [
    String(f.id),
    f.method.slice(f.method.indexOf(".") + 1),
    orDash(f.pod),
    orDash(f.interface),
    f.at,
    f.kind === "delay"
      ? `delay ${f.delayMs}ms`
      : f.kind === "fail"
      ? `fail "${f.message}"`
      : f.kind,
    f.remaining === null ? "always" : String(f.remaining),
    String(f.hits),
    f.source,
  ]);
  return table(["ID", "METHOD", "POD", "IF", "AT", "FAULT", "LEFT", "HITS", "FROM"], rows);
}
