/**
 * The call journal: every call of EVE's methods, one entry each (time, method, friendly
 * params, the reply or error, the duration, the faults it hit). Finished entries go to the
 * journal file (if any) and to an in-memory ring that Inspect.Journal reads; calls still
 * running are listed as `pending`. The ring is bounded twice, by entries and by the bytes
 * of their JSON, so a long CI run (or a huge pod name) cannot grow the daemon without
 * limit; the oldest entries go first and are counted as evicted (the file keeps them).
 */
import type {
  CallOutcome,
  Dialect,
  FaultHit,
  Journal,
  JournalEntry,
  JournalQuery,
} from "../../rpc/mod.ts";
import type { JournalFile } from "./journal_file.ts";
import { podMatcher } from "./pod_pattern.ts";

/**
 * Bounds of the in-memory ring. The bytes stay well under our client's 16 MiB reply limit,
 * so that Inspect.Journal can always hand out the whole ring in one reply.
 */
export const DEFAULT_JOURNAL_ENTRIES = 10_000;
export const DEFAULT_JOURNAL_BYTES = 8 * 1024 * 1024;

export interface JournalOptions {
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly file?: JournalFile | null;
}

/** A call as it arrives. */
export interface CallStart {
  readonly method: string;
  readonly dialect: Dialect;
  readonly pod: string | null;
  readonly interface: string | null;
  readonly params: unknown;
  readonly faults: readonly FaultHit[];
}

/** How it ended (never `pending`). */
export interface CallEnd {
  readonly outcome: Exclude<CallOutcome, "pending">;
  readonly result?: unknown;
  readonly error?: string;
}

/** A call still running: its entry so far, plus when it started. */
export interface PendingCall {
  readonly entry: JournalEntry;
  readonly startedAt: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const encoder = new TextEncoder();

export class CallJournal {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #file: JournalFile | null;
  /** Oldest first, from #head on (a queue without shifting the array on every call). */
  #ring: { entry: JournalEntry; bytes: number }[] = [];
  #head = 0;
  #bytes = 0;
  #seq = 0;
  #evicted = 0;
  readonly #pending = new Set<PendingCall>();
  /** Resolves the wait of close() once no call is pending. */
  #drained: (() => void) | null = null;

  constructor(options: JournalOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_JOURNAL_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_JOURNAL_BYTES;
    this.#file = options.file ?? null;
  }

  begin(call: CallStart): PendingCall {
    const pending: PendingCall = {
      startedAt: performance.now(),
      entry: {
        seq: ++this.#seq,
        time: new Date().toISOString(),
        method: call.method,
        dialect: call.dialect,
        pod: call.pod,
        interface: call.interface,
        params: call.params ?? null,
        result: null,
        error: null,
        outcome: "pending",
        durationMs: 0,
        faults: [...call.faults],
      },
    };
    this.#pending.add(pending);
    return pending;
  }

  end(pending: PendingCall, end: CallEnd): JournalEntry {
    this.#pending.delete(pending);
    if (this.#pending.size === 0) this.#drained?.();
    const entry: JournalEntry = {
      ...pending.entry,
      result: end.outcome === "ok" ? end.result ?? null : null,
      error: end.error ?? null,
      outcome: end.outcome,
      durationMs: round(performance.now() - pending.startedAt),
    };
    const text = JSON.stringify(entry);
    this.#file?.append(text);
    this.#push(entry, encoder.encode(text).length);
    return entry;
  }

  /** Entries matching `query`, oldest first (by seq), running calls included. */
  list(query: JournalQuery = {}): Journal {
    const podMatches = query.pod === undefined ? null : podMatcher(query.pod);
    const running = [...this.#pending].map((p) => ({
      ...p.entry,
      durationMs: round(performance.now() - p.startedAt),
    }));
    const entries = [...this.#ring.slice(this.#head).map((r) => r.entry), ...running]
      .filter((e) => query.since === undefined || e.seq > query.since)
      .filter((e) => query.method === undefined || methodIs(e.method, query.method))
      .filter((e) => podMatches === null || (e.pod !== null && podMatches(e.pod)))
      .sort((a, b) => a.seq - b.seq);
    return {
      entries,
      total: this.#seq,
      evicted: this.#evicted,
      capacity: { entries: this.maxEntries, bytes: this.maxBytes },
      file: this.#file?.path ?? null,
    };
  }

  /**
   * Closes the file once the calls still running have ended (their connections were just
   * closed, so a hung call ends as `abandoned` and is written too), waiting `graceMs` at most.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#pending.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    await this.#file?.close();
  }

  #push(entry: JournalEntry, bytes: number): void {
    this.#ring.push({ entry, bytes });
    this.#bytes += bytes;
    // The newest entry always stays, even alone over the byte bound (a request is at most
    // the RPC frame limit, so that bounds it too).
    while (
      this.#ring.length - this.#head > this.maxEntries ||
      (this.#bytes > this.maxBytes && this.#ring.length - this.#head > 1)
    ) {
      this.#bytes -= this.#ring[this.#head]!.bytes;
      this.#head += 1;
      this.#evicted += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#ring.length) {
      this.#ring = this.#ring.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** `ConnectPodAtL3` names `RPCServer.ConnectPodAtL3`; a full name names itself. */
export function methodIs(method: string, wanted: string): boolean {
  return method === wanted || method.endsWith(`.${wanted}`);
}
