/**
 * Timers for the short-lived programs' hot paths. Deno 2.9's global `setTimeout` builds a
 * Node-compatible `Timeout` object, and its first call loads that machinery: 8-12 ms of a
 * ~30 ms start-up, measured (`performance.now()` around the first call, and Deno runs of an
 * empty script against one awaiting a 1 ms timer: +22 ms min over 30 runs, against +3 ms for
 * Deno's own timer list). That list (the one `setTimeout` sits on) is reachable from Deno's
 * internal core object; when it is not (another Deno), the global timer is used: same
 * behaviour, only slower to start.
 */

/** A pending timer; `cancel` is idempotent. */
export interface Timer {
  cancel(): void;
}

interface CoreTimers {
  createTimer(
    callback: () => void,
    after: number,
    args: undefined,
    isRepeat: boolean,
    isRefed: boolean,
  ): unknown;
  cancelTimer(timer: unknown): void;
}

function coreTimers(): CoreTimers | undefined {
  try {
    const internal = Reflect.get(Deno, "internal");
    const core = typeof internal === "symbol" ? Reflect.get(Deno, internal)?.core : undefined;
    if (typeof core?.createTimer === "function" && typeof core?.cancelTimer === "function") {
      return core as CoreTimers;
    }
  } catch {
    // Not this Deno's layout: the global timer below.
  }
  return undefined;
}

const CORE = coreTimers();

/** Calls `callback` once after `ms` milliseconds (keeps the program alive until then). */
export function after(ms: number, callback: () => void): Timer {
  if (CORE !== undefined) {
    const timer = CORE.createTimer(callback, Math.max(1, ms), undefined, false, true);
    return { cancel: () => CORE.cancelTimer(timer) };
  }
  const id = setTimeout(callback, ms);
  return { cancel: () => clearTimeout(id) };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => after(ms, resolve));
}
