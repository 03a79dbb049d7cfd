/**
 * Where the journal and the faults meet every call: the RPC layer's interceptor (rpc/
 * intercept.ts), so both dialects and every one of EVE's methods pass here, decoded params
 * and all. Only EVE's methods (`RPCServer.*`) are journaled and faulted: they are what the
 * client under test does. Our Inspect.* and Control.* calls are the test harness's own
 * (`wait` polls Health, `journal` reads the journal), and journaling them would bury the
 * calls a CI job asserts on.
 *
 * Faults at `request` replace the call (it never reaches zedrouter's logic); faults at
 * `reply` come after it ran (its effect stays, the caller sees the fault). A delay sleeps;
 * `fail` answers with its text as the method's error; `drop` closes the connection without
 * an answer; `hang` never answers (the call ends, as `abandoned`, only when its connection
 * is closed by the server stopping or breaking).
 */
import {
  type CallInterceptor,
  EVE_SERVICE,
  type FaultHit,
  type InterceptedCall,
  type InterceptOutcome,
  type RunOutcome,
  SERVER_ERROR_CODE,
} from "../../rpc/mod.ts";
import type { FaultTable } from "./fault_table.ts";
import type { CallEnd, CallJournal } from "./journal.ts";

interface Finished {
  /** What the dispatcher does: reply or drop. */
  readonly outcome: InterceptOutcome;
  /** What the journal records. */
  readonly end: CallEnd;
}

/** No answer: the connection is (or is made) gone. */
const ABANDONED: Finished = { outcome: { ok: "drop" }, end: { outcome: "abandoned" } };

export function journalAndFaults(journal: CallJournal, faults: FaultTable): CallInterceptor {
  return async (call, next) => {
    if (!call.method.startsWith(`${EVE_SERVICE}.`)) return await next();
    const target = callTarget(call);
    const hits = faults.strike({ method: call.method, ...target });
    const pending = journal.begin({
      method: call.method,
      dialect: call.dialect,
      ...target,
      params: call.params ?? call.wireParams,
      faults: hits,
    });
    const { outcome, end } = await runWithFaults(call, next, hits);
    journal.end(pending, end);
    return outcome;
  };
}

async function runWithFaults(
  call: InterceptedCall,
  next: () => Promise<RunOutcome>,
  hits: readonly FaultHit[],
): Promise<Finished> {
  const before = await runStage(hits.filter((h) => h.at === "request"), call.signal);
  if (before) return before;
  const outcome = await next();
  const after = await runStage(hits.filter((h) => h.at === "reply"), call.signal);
  if (after) return after;
  if (call.signal.aborted) {
    // Nobody is left to read the answer (the connection broke, or the server is stopping).
    return {
      outcome,
      end: { outcome: "abandoned", ...(!outcome.ok && { error: outcome.message }) },
    };
  }
  return {
    outcome,
    end: outcome.ok
      ? { outcome: "ok", result: outcome.result }
      : { outcome: "error", error: outcome.message },
  };
}

/** One stage's faults: its delays, then its fail, hang or drop if any; null = carry on. */
async function runStage(hits: readonly FaultHit[], signal: AbortSignal): Promise<Finished | null> {
  for (const hit of hits) {
    if (hit.kind === "delay" && !(await sleep(hit.delayMs ?? 0, signal))) return ABANDONED;
  }
  const last = hits.find((h) => h.kind !== "delay");
  switch (last?.kind) {
    case undefined:
      return null;
    case "fail": {
      const message = last.message ?? "";
      const outcome = { ok: false, message, code: SERVER_ERROR_CODE } as const;
      return { outcome, end: { outcome: "error", error: message } };
    }
    case "drop":
      return { outcome: { ok: "drop" }, end: { outcome: "dropped" } };
    default: // hang
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return ABANDONED;
  }
}

/** Sleeps `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The pod name and pod interface a call names, from its friendly params or, when they did
 * not decode, from what was sent (Go's keys: `Pod.Name`, `PodInterface.Name`).
 */
export function callTarget(
  call: InterceptedCall,
): { pod: string | null; interface: string | null } {
  const args = call.params ?? call.wireParams;
  return { pod: nameIn(args, "pod"), interface: nameIn(args, "podInterface") };
}

function nameIn(args: unknown, key: string): string | null {
  const name = field(field(args, key), "name");
  return typeof name === "string" ? name : null;
}

/** A member by its key, any case (Go's decoder matches keys that way). */
function field(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const lower = key.toLowerCase();
  const hit = Object.keys(value).find((k) => k.toLowerCase() === lower);
  return hit === undefined ? undefined : (value as Record<string, unknown>)[hit];
}
